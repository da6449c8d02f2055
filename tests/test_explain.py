"""cnnkit.explain (chapter 11): hooks, statistics per layer, saliency, Grad-CAM, occlusion, neighbours.

Grad-CAM, saliency and occlusion are cross-checked against captum (the `test` extra)."""
import pytest
import torch
from torch import nn

from cnnkit import explain as E
from cnnkit import models as M

# Grad-CAM: ours against captum's LayerGradCam on the same model and images, in float32.
# Both compute relu(sum_k mean(dS/dA_k) A_k) and upsample bilinearly; they differ only in the
# order of float additions, if at all: the measured max difference on this CPU is 0.0 (the maps are
# bit-identical) for three layers of three random nets. The test allows 1e-5 of the largest map value.
GRADCAM_RTOL = 1e-5


def small_net(seed=0):
    torch.manual_seed(seed)
    return M.ladder_cnn((8, 16, 32), 1, norm="batch", hidden=None, init="kaiming").eval()


def images(n=6, seed=1):
    return torch.randn(n, 3, 32, 32, generator=torch.Generator().manual_seed(seed))


def test_layer_names_and_a_wrong_name_lists_the_valid_ones():
    net = small_net()
    assert "0.body.2" in E.layer_names(net)
    assert isinstance(E.get_layer(net, "0.body.2"), nn.ReLU)
    with pytest.raises(ValueError, match=r"'nope' is not a sub-module.*'0.body.0'"):
        E.get_layer(net, "nope")
    with pytest.raises(ValueError, match="valid names"):
        E.grad_cam(net, images(1), "0.bodyy")


def test_recorder_keeps_outputs_and_gradients_and_removes_its_hooks():
    net = small_net().train()
    x = images(4)
    with E.Recorder(net, ["0.body.2", "2.body.2"], grads=True) as rec:
        net(x).sum().backward()
    assert rec.activations["0.body.2"].shape == (4, 8, 32, 32)
    assert rec.gradients["2.body.2"].shape == (4, 32, 8, 8)
    assert all(not m._forward_hooks for m in net.modules())
    with pytest.raises(ValueError, match="not a sub-module"):
        E.Recorder(net, ["x"])


def test_evaluating_restores_the_mode():
    net = small_net().train()
    with E.evaluating(net):
        assert not any(m.training for m in net.modules())
    assert all(m.training for m in net.modules())


def test_bad_input_is_named():
    net = small_net()
    with pytest.raises(ValueError, match=r"x must be a float image batch \(N, C, H, W\)"):
        E.saliency(net, torch.zeros(3, 32, 32))
    with pytest.raises(ValueError, match="x must be a float image batch"):
        E.grad_cam(net, torch.zeros(1, 3, 32, 32, dtype=torch.uint8), "0.body.2")
    with pytest.raises(ValueError, match="target must be"):
        E.saliency(net, images(2), target=10)
    with pytest.raises(ValueError, match="target must be"):
        E.saliency(net, images(2), target=[1, 2, 3])
    with pytest.raises(ValueError, match="window"):
        E.occlusion(net, images(1), window=40)
    with pytest.raises(ValueError, match="stride"):
        E.occlusion(net, images(1), window=4, stride=8)
    with pytest.raises(ValueError, match="samples >= 1"):
        E.smoothgrad(net, images(1), samples=0)
    with pytest.raises(ValueError, match="Grad-CAM needs a layer"):
        E.grad_cam(net, images(1), "4")                    # the Linear layer: (N, 10)
    with pytest.raises(ValueError, match="metric"):
        E.nearest_neighbours(torch.zeros(1, 2), torch.zeros(3, 2), k=1, metric="manhattan")
    with pytest.raises(ValueError, match="k must be"):
        E.nearest_neighbours(torch.zeros(1, 2), torch.zeros(3, 2), k=4)
    with pytest.raises(ValueError, match="same feature size"):
        E.nearest_neighbours(torch.zeros(1, 2), torch.zeros(3, 5))


def test_saliency_of_a_linear_model_is_its_weights():
    net = nn.Sequential(nn.Flatten(), nn.Linear(12, 3))
    w = net[1].weight.detach().view(3, 3, 2, 2)
    sal = E.saliency(net, torch.randn(2, 3, 2, 2), target=torch.tensor([0, 2]))
    assert torch.equal(sal[0], w[0].abs().amax(0)) and torch.equal(sal[1], w[2].abs().amax(0))
    # the gradient does not depend on the input, so SmoothGrad gives the same map
    assert torch.allclose(E.smoothgrad(net, torch.randn(2, 3, 2, 2), torch.tensor([0, 2]), samples=3), sal)


def test_smoothgrad_without_noise_is_saliency_and_is_seeded():
    net, x = small_net(), images(3)
    assert torch.allclose(E.smoothgrad(net, x, samples=2, sigma=0.0), E.saliency(net, x), atol=1e-6)
    assert torch.equal(E.smoothgrad(net, x, samples=3, seed=5), E.smoothgrad(net, x, samples=3, seed=5))


def test_grad_cam_hand_example():
    # score = 2 * mean(relu(x)) + 1 * mean(relu(-x)) on a 2x2 image; Grad-CAM at the ReLU:
    # alpha = (2/4, 1/4), map = relu(2/4 relu(x) + 1/4 relu(-x))
    net = nn.Sequential(nn.Conv2d(1, 2, 1, bias=False), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                        nn.Linear(2, 1, bias=False))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([1.0, -1.0]).view(2, 1, 1, 1))
        net[4].weight.copy_(torch.tensor([[2.0, 1.0]]))
    x = torch.tensor([[[[1.0, -2.0], [4.0, 0.0]]]])
    cam = E.grad_cam(net, x, "1", 0, upsample=False)
    assert torch.allclose(cam, torch.tensor([[[0.5, 0.5], [2.0, 0.0]]]))


def test_grad_cam_matches_captum_layergradcam():
    from captum.attr import LayerAttribution, LayerGradCam

    for seed, layer in [(0, "2.body.2"), (1, "1.body.2"), (2, "2.body.0")]:
        net, x = small_net(seed), images(8, seed=seed + 10)
        target = net(x).argmax(1)
        ours = E.grad_cam(net, x, layer, target)
        theirs = LayerGradCam(net, E.get_layer(net, layer)).attribute(x, target=target, relu_attributions=True)
        theirs = LayerAttribution.interpolate(theirs, (32, 32), "bilinear")[:, 0].detach()
        diff = float((ours - theirs.detach()).abs().max())
        assert diff <= GRADCAM_RTOL * float(theirs.abs().max()), (layer, diff)
        assert float(theirs.max()) > 0                      # not a trivial all-zero comparison
        with E.Recorder(net, [layer]) as rec:
            net(x)
        low = E.grad_cam(net, x, layer, target, upsample=False)
        assert low.shape == (8, *rec.activations[layer].shape[2:])
        print(f"Grad-CAM at {layer}: max |ours - captum| = {diff:.2e} (largest map value {float(theirs.max()):.3g})")


def test_saliency_matches_captum():
    from captum.attr import Saliency

    net, x = small_net(), images(4)
    target = torch.tensor([0, 3, 5, 9])
    theirs = Saliency(net).attribute(x.clone().requires_grad_(True), target=target, abs=True).amax(1)
    assert torch.allclose(E.saliency(net, x, target), theirs, atol=1e-6)


def test_occlusion_matches_captum():
    from captum.attr import Occlusion

    net, x = small_net(), images(3)
    target = torch.tensor([1, 4, 7])

    def prob(inp):
        return net(inp).softmax(1)

    for window, stride in [(8, 4), (6, 4)]:               # (6, 4): the last window is cut at the border
        ours = E.occlusion(net, x, target, window=window, stride=stride)
        theirs = Occlusion(prob).attribute(x, target=target, sliding_window_shapes=(3, window, window),
                                           strides=(3, stride, stride), baselines=0.0)
        assert torch.allclose(ours, theirs[:, 0], atol=1e-6)
        assert torch.allclose(theirs[:, 0], theirs[:, 2])     # the whole pixel column is occluded at once


def test_occlusion_sees_the_only_informative_pixel():
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 2, bias=False))
    with torch.no_grad():
        net[1].weight.zero_()
        net[1].weight[0, 5] = 1.0                         # class 0 looks at pixel (1, 1) only
    x = torch.ones(1, 1, 4, 4)
    heat = E.occlusion(net, x, 0, window=1, stride=1, probability=False)
    assert heat[0, 1, 1] == 1 and heat.sum() == 1


def test_activation_stats_dead_units_and_gradients():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 3))
    with torch.no_grad():
        net[2].bias[:4] = -100.0                          # half the units of the second ReLU never fire
    x, y = torch.randn(32, 4), torch.randint(0, 3, (32,))
    stats = E.activation_stats(net, x, y)
    assert list(stats.index) == ["1", "3"]
    assert stats.loc["3", "dead %"] >= 50.0 and stats.loc["1", "dead %"] < 50.0
    assert stats.loc["1", "grad std"] > 0
    assert all(p.grad is None for p in net.parameters())  # leaves no gradients behind
    no_grad = E.activation_stats(net, x)
    assert (no_grad["grad std"] == "-").all()
    sig = E.activation_stats(nn.Sequential(nn.Linear(4, 4), nn.Sigmoid()), x)
    assert sig.loc["1", "dead %"] == "-" and 0 < sig.loc["1", "act mean"] < 1
    with pytest.raises(ValueError, match="no activation modules"):
        E.activation_stats(nn.Linear(4, 2), x)


def test_features_and_nearest_neighbours():
    net, x = small_net(), images(10)
    f = E.features(net, x, batch_size=3)
    assert f.shape == (10, 32 * 4 * 4)
    assert torch.allclose(f, net[:4](x).detach(), atol=1e-5)   # the input of the last Linear = flattened maps
    assert E.features(net, x, "1").shape == (10, 16 * 8 * 8)
    idx, d = E.nearest_neighbours(f[:3], f, k=2)
    assert idx[:, 0].tolist() == [0, 1, 2] and torch.allclose(d[:, 0], torch.zeros(3), atol=1e-2)
    idx, d = E.nearest_neighbours(f[:3], f, k=1, metric="cosine")
    assert idx[:, 0].tolist() == [0, 1, 2]


def test_show_attributions_draws_a_grid():
    import matplotlib
    matplotlib.use("Agg")
    x = torch.rand(3, 3, 8, 8)
    fig = E.show_attributions(x, {"a": torch.rand(3, 8, 8), "b": torch.rand(3, 8, 8)}, titles=list("xyz"))
    assert len(fig.axes) == 9
    fig = E.show_attributions(x, {"a": torch.rand(3, 8, 8), "b": torch.rand(3, 8, 8)}, overlay=["b"])
    assert len(fig.axes[3].images) == 1 and len(fig.axes[6].images) == 2     # a alone, b over the image
    with pytest.raises(ValueError, match="must have shape"):
        E.show_attributions(x, {"a": torch.rand(2, 8, 8)})
