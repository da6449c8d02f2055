import itertools

import nbformat
import pytest
import torch
import torch.nn.functional as F

from cnnkit.book import badge_line, colab_url, install_source, problems, repo_info
from cnnkit.env import repo_root
from cnnkit.scratch import conv_flops, conv_output_size, corr2d, corr2d_multi_in, corr2d_multi_in_out


def test_corr2d_lecture_example():
    y = corr2d(torch.arange(9.).view(3, 3), torch.arange(4.).view(2, 2))
    assert y.tolist() == [[19, 25], [37, 43]]


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 0), (1, 1), (2, 1), ((3, 2), 1)])
def test_corr2d_matches_conv2d(stride, padding):
    torch.manual_seed(0)
    x, k = torch.randn(7, 6, dtype=torch.float64), torch.randn(3, 2, dtype=torch.float64)
    ref = F.conv2d(x[None, None], k[None, None], stride=stride, padding=padding)[0, 0]
    assert torch.allclose(corr2d(x, k, stride, padding), ref)


def test_multi_channel_correlation_matches_conv2d():
    torch.manual_seed(0)
    x = torch.randn(3, 6, 6, dtype=torch.float64)
    k = torch.randn(4, 3, 3, 3, dtype=torch.float64)
    b = torch.randn(4, dtype=torch.float64)
    ref = F.conv2d(x[None], k, b, stride=1, padding=1)[0]
    assert torch.allclose(corr2d_multi_in_out(x, k, b, padding=1), ref)
    assert torch.allclose(corr2d_multi_in(x, k[0]), F.conv2d(x[None], k[:1])[0, 0])
    with pytest.raises(ValueError, match="channels"):
        corr2d_multi_in(x, k[0, :2])
    with pytest.raises(ValueError, match="2-D"):
        corr2d(x, k[0, 0])


def test_conv_output_size_against_layers():
    for n, k, p, s in itertools.product((5, 8, 28, 32), (1, 3, 5), (0, 1, 2), (1, 2, 3)):
        if n + 2 * p < k:
            continue
        layer = torch.nn.Conv2d(1, 1, k, stride=s, padding=p)
        assert layer(torch.zeros(1, 1, n, n)).shape[-1] == conv_output_size(n, k, p, s)
    with pytest.raises(ValueError):
        conv_output_size(2, 5)
    assert conv_flops(100, 100, 5, 5, 64, 64) == 1_024_000_000


def test_badges_and_install_cells_agree_with_config():
    url, branch = repo_info()
    assert url.startswith("https://github.com/") and branch
    assert colab_url("chapters/x.ipynb", url, branch).endswith(f"/blob/{branch}/chapters/x.ipynb")
    assert f"git+{url}@{branch}" in install_source(url, branch)
    assert problems() == []


def test_new_chapter_has_standard_opening(tmp_path):
    from cnnkit.book import new_chapter
    top = repo_root()
    (tmp_path / "chapters").mkdir()
    (tmp_path / "_config.yml").write_text((top / "_config.yml").read_text())
    path = new_chapter("42_test", "A test", root=tmp_path)
    nb = nbformat.read(path, 4)
    url, branch = repo_info(tmp_path)
    assert nb.cells[0].source.startswith("# 42 · A test") and badge_line("chapters/42_test.ipynb", url, branch) in nb.cells[0].source
    assert nb.cells[1].metadata["tags"] == ["colab-install"]
    assert "nbval-ignore-output" in nb.cells[3].metadata["tags"]
