"""Chapter 10 exercise checks: the instructor's answers pass, typical mistakes fail."""
import pytest
import torch
from torch import nn

from cnnkit.checks import ExerciseFailed, check
from cnnkit.models import ResidualBlock


def inception_cost(c_in, h, w, c1, c2, c3, c4):
    weights = c_in * c1 + c_in * c2[0] + 9 * c2[0] * c2[1] + c_in * c3[0] + 25 * c3[0] * c3[1] + c_in * c4
    return weights, weights * h * w


def test_10_1():
    check("10.1", inception_cost)
    with pytest.raises(ExerciseFailed, match="max-pool path"):
        check("10.1", lambda c_in, h, w, c1, c2, c3, c4: inception_cost(c_in, h, w, c1, c2, c3, 0))


def test_10_2():
    check("10.2", lambda ci, co, k, h, w: (k * k * ci + ci * co, (k * k * ci + ci * co) * h * w))
    with pytest.raises(ExerciseFailed):
        check("10.2", lambda ci, co, k, h, w: (k * k * ci * co, k * k * ci * co * h * w))


class Bottleneck(nn.Module):
    def __init__(self, cin, mid, cout, stride=1, final_relu=True):
        super().__init__()
        self.branch = nn.Sequential(
            nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU(),
            nn.Conv2d(mid, mid, 3, stride, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU(),
            nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.proj = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                     if stride != 1 or cin != cout else nn.Identity())
        self.final_relu = final_relu

    def forward(self, x):
        y = self.branch(x) + self.proj(x)
        return torch.relu(y) if self.final_relu else y


def test_10_3():
    check("10.3", Bottleneck)
    with pytest.raises(ExerciseFailed, match="ReLU"):
        check("10.3", lambda *a: Bottleneck(*a, final_relu=False))
    with pytest.raises(ExerciseFailed, match="parameters"):
        check("10.3", lambda cin, mid, cout, stride: ResidualBlock(cin, cout, stride=stride))
