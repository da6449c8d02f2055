"""fit's loop (issue 10 bugs, issue 11 items 2-3, issue 13 item 6): host reads, divergence, precision, errors."""
import math
import sys

import pytest
import torch
from torch import nn

import cnnkit
from cnnkit.data import ImageData, Loader
from cnnkit.env import Precision, amp_mode, precision, set_tf32, tf32_enabled
from cnnkit.history import History
from cnnkit.train import evaluate, fit, load_checkpoint, predict, save_checkpoint
from cnnkit.train_errors import forward

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from readcount import adam_step_counters, count_reads, fit_reads  # noqa: E402


def small_model(c=1, hw=8, classes=4):
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(c * hw * hw, 16), nn.ReLU(), nn.Linear(16, classes))


# --- issue 10 bugs --------------------------------------------------------------------------------

def test_an_empty_history_passed_in_is_used(tiny_data):
    loader = Loader(tiny_data, 50, device="cpu")
    h = History("given")
    out = fit(small_model(), loader, epochs=2, history=h, device="cpu", progress=False)
    assert out is h and len(h) == 2 and h.status == "finished"      # was: 0 epochs, "finished"
    model = small_model()
    h2 = fit(model, loader, epochs=2, device="cpu", progress=False)
    fit(model, loader, epochs=len(h2) + 2, history=h2, device="cpu", progress=False)   # two more
    assert h2["epoch"] == [1, 2, 3, 4]


@pytest.mark.parametrize("amp", [False, None, 0, "off", "OFF", "fp32"])
def test_every_off_value_turns_mixed_precision_off(amp, monkeypatch):
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *a: (9, 0))
    assert amp_mode(amp) == "off"
    assert precision(torch.device("cuda"), amp).dtype == torch.float32          # was: bf16 for None/0/"off"


def test_amp_values_are_checked():
    assert [amp_mode(a) for a in (True, "auto", "on", "bf16", "fp16")] == ["auto", "auto", "auto", "bf16", "fp16"]
    with pytest.raises(ValueError, match=r"amp='fast' is not a precision"):
        amp_mode("fast")
    with pytest.raises(TypeError, match="amp must be"):
        amp_mode(1.5)
    with pytest.raises(ValueError, match="amp="):
        fit(small_model(), [(torch.zeros(2, 1, 8, 8), torch.zeros(2, dtype=torch.long))], amp="half", device="cpu")


def test_checkpoints_load_with_weights_only(tiny_data, tmp_path, monkeypatch):
    model = small_model()
    opt = torch.optim.Adam(model.parameters())
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 0.01, total_steps=100)
    h = fit(model, Loader(tiny_data, 50, device="cpu"), epochs=1, optimizer=opt, device="cpu", progress=False)
    path = save_checkpoint(tmp_path / "c.pt", model, opt, sched, h)
    torch.load(path, weights_only=True)                                          # everything saved loads safely
    seen = {}
    real_load = torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **k: seen.update(k) or real_load(*a, **k))
    m2 = small_model()
    opt2 = torch.optim.Adam(m2.parameters())
    h2 = load_checkpoint(path, m2, opt2, torch.optim.lr_scheduler.OneCycleLR(opt2, 0.01, total_steps=100))
    assert seen["weights_only"] is True and h2.epochs == h.epochs                  # was: weights_only=False
    with pytest.raises(FileNotFoundError, match="no checkpoint file"):
        load_checkpoint(tmp_path / "missing.pt", m2)


# --- bad input: a clear error naming the argument ----------------------------------------------------

def test_a_dataset_instead_of_a_loader(tiny_data):
    with pytest.raises(TypeError, match=r"train is an ImageData .*pass a loader instead.*cnnkit.loaders\('tiny'\)"):
        fit(small_model(), tiny_data)
    with pytest.raises(TypeError, match="test is an ImageData"):
        fit(small_model(), Loader(tiny_data, 50, device="cpu"), tiny_data)
    pair = (Loader(tiny_data, 50, device="cpu"), Loader(tiny_data, 50, device="cpu"))
    with pytest.raises(TypeError, match="pair of loaders.*unpack it"):
        fit(small_model(), pair)
    with pytest.raises(TypeError, match="train is a tensor"):
        fit(small_model(), tiny_data.x)
    with pytest.raises(TypeError, match="loader is an ImageData"):
        evaluate(small_model(), tiny_data)
    with pytest.raises(TypeError, match="loader must be a loader"):
        predict(small_model(), 3)
    with pytest.raises(TypeError, match="model must be a torch nn.Module"):
        fit("mlp", Loader(tiny_data, 50, device="cpu"))


def test_labels_beyond_the_models_classes_stop_before_the_loss(tiny_data):
    three = small_model(classes=3)                       # the data has 4 classes
    msg = r"train has class labels 0..3, but the model gives 3 class scores per image \(labels must be 0..2\)"
    with pytest.raises(ValueError, match=msg):
        fit(three, Loader(tiny_data, 50, device="cpu"), device="cpu", progress=False)
    batches = [(tiny_data.x[:8].float(), tiny_data.y[:8] + 5)]          # a plain list of batches
    with pytest.raises(ValueError, match=r"labels 5..8, .*at least 9"):
        fit(small_model(), batches, device="cpu", progress=False)
    with pytest.raises(ValueError, match="loader has class labels 0..3"):
        evaluate(three, Loader(tiny_data, 50, device="cpu"))
    soft = [(tiny_data.x[:8].float(), torch.full((8, 5), 0.2))]
    with pytest.raises(ValueError, match="probabilities over 5 classes, but the model gives 4"):
        fit(small_model(), soft, device="cpu", progress=False)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"epochs": "3"}, TypeError, "epochs must be an int"),
    ({"epochs": 2.5}, TypeError, "epochs must be an int"),
    ({"epochs": True}, TypeError, "epochs must be an int"),
    ({"epochs": -1}, ValueError, "epochs must be >= 0"),
    ({"lr": 0}, ValueError, "lr must be > 0"),
    ({"lr": "1e-3"}, TypeError, "lr must be a number"),
    ({"max_loss": -1}, ValueError, "max_loss must be > 0"),
    ({"max_loss": None}, TypeError, "max_loss must be a number"),
    ({"max_grad_norm": 0}, ValueError, "max_grad_norm must be > 0"),
    ({"check_every": 0}, ValueError, "check_every must be > 0"),
    ({"scheduler_interval": "step"}, ValueError, "scheduler_interval must be 'epoch' or 'batch'"),
    ({"scheduler_interval": None}, ValueError, "scheduler_interval"),
    ({"loss_fn": "cross_entropy"}, TypeError, "loss_fn must be callable"),
    ({"batch_fn": 3}, TypeError, "batch_fn must be callable"),
    ({"after_backward": 3}, TypeError, "after_backward must be callable"),
    ({"optimizer": "adam"}, TypeError, "optimizer must be a torch.optim optimizer"),
    ({"scheduler": 0.5}, TypeError, "scheduler must have a step"),
    ({"history": []}, TypeError, "history must be a cnnkit History"),
    ({"progress": "yes"}, TypeError, "progress must be True or False"),
    ({"compile": 1}, TypeError, "compile must be True or False"),
    ({"name": 3}, TypeError, "name must be a str"),
    ({"checkpoint": 3}, TypeError, "path must be a file name"),
    ({"device": 0}, TypeError, "device must be a device name"),
])
def test_bad_fit_arguments(tiny_data, kwargs, error, match):
    with pytest.raises(error, match=match):
        fit(small_model(), Loader(tiny_data, 50, device="cpu"), **kwargs)


def test_empty_loaders_are_named(tiny_data):
    loader = Loader(tiny_data, 50, device="cpu")
    with pytest.raises(ValueError, match="train is empty"):
        fit(small_model(), [])
    with pytest.raises(ValueError, match="test is empty"):
        fit(small_model(), loader, [])
    with pytest.raises(ValueError, match="train loader gave no batches"):
        fit(small_model(), iter([]), device="cpu", progress=False)          # no len(): found while running
    with pytest.raises(ValueError, match="loader is empty"):
        evaluate(small_model(), [])
    with pytest.raises(ValueError, match="loader gave no batches"):
        predict(small_model(), iter([]))
    with pytest.raises(ValueError, match="loader is empty"):
        predict(small_model(), Loader(tiny_data.subset(4), 8, drop_last=True, device="cpu"))


def test_history_indexing_errors():
    h = History("x")
    h.append(train_loss=1.0, train_acc=0.5, test_loss=None, test_acc=None, lr=0.1, seconds=1.0)
    with pytest.raises(KeyError, match="no metric 'test_accuracy'"):
        h["test_accuracy"]
    with pytest.raises(TypeError, match="metric name"):
        h[0]
    with pytest.raises(TypeError, match="state_dict"):
        History.from_state_dict([1])
    assert h.best_epoch("test_acc") is None and h.best("train_loss") == 1.0


# --- issue 11 item 2: no per-step host reads, divergence still caught --------------------------------

def test_fit_reads_tensors_at_most_once_per_20_steps():
    reads, steps = fit_reads(n=2000, batch=20, epochs=2)        # 100 steps an epoch, test set each epoch
    per_epoch_constant = 4
    assert reads <= steps / 20 + per_epoch_constant * 2, (reads, steps)      # main before this change: 416


def test_the_live_line_reads_nothing_more(tiny_data, monkeypatch):
    class Tty:
        text = ""
        def isatty(self):
            return True
        def write(self, s):
            Tty.text += s
        def flush(self):
            pass
    monkeypatch.setattr("cnnkit.history.sys.stderr", Tty())
    big = ImageData(tiny_data.x.repeat(10, 1, 1, 1), tiny_data.y.repeat(10), tiny_data.classes)
    loader = Loader(big, 10, device="cpu")                     # 200 steps
    model = small_model()
    opt = torch.optim.Adam(model.parameters())
    with count_reads(adam_step_counters(opt)) as calls:
        fit(model, loader, epochs=1, optimizer=opt, device="cpu", progress=True)
    assert len(calls) <= 200 / 25 + 1 + 1                        # checks, epoch end, the label range
    assert "loss" not in Tty.text or "batch" in Tty.text


def test_divergence_is_caught_within_check_every_steps(tiny_data, capsys):
    steps = []

    def loss_that_explodes(out, y):      # finite for 30 steps, then NaN
        steps.append(1)
        loss = nn.functional.cross_entropy(out, y)
        return loss * float("nan") if len(steps) > 30 else loss

    big = ImageData(tiny_data.x.repeat(5, 1, 1, 1), tiny_data.y.repeat(5), tiny_data.classes)
    h = fit(small_model(), Loader(big, 10, device="cpu"), epochs=3, loss_fn=loss_that_explodes,
            device="cpu", check_every=25, progress=False)                            # 100 steps an epoch
    assert h.diverged and len(h) == 0 and len(steps) == 50
    assert "detected at step 50" in h.message and "steps 26-50" in h.message and "nan" in h.message
    assert h.message in capsys.readouterr().out


def test_divergence_at_the_end_of_a_short_epoch(tiny_data):
    h = fit(small_model(), Loader(tiny_data, 50, device="cpu"), epochs=3, progress=False, device="cpu",
            optimizer=None, loss_fn=lambda out, y: (out ** 2).sum() * 1e9 + 1e4)     # loss > max_loss, 4 steps an epoch
    assert h.diverged and len(h) == 0 and "detected at step 4" in h.message


def test_verbose_prints_every_epoch_and_summary(tiny_data, capsys):
    h = fit(small_model(), Loader(tiny_data, 50, device="cpu"), Loader(tiny_data, 100, device="cpu"),
            epochs=3, device="cpu", verbose=True, name="v")
    lines = capsys.readouterr().out.strip().splitlines()
    assert [ln[:15] for ln in lines[:3]] == ["[v] epoch   1/3", "[v] epoch   2/3", "[v] epoch   3/3"]
    assert lines[3] == h.summary() and len(lines) == 4
    assert f"best {h.best('test_acc'):.3f} at epoch {h.best_epoch('test_acc')}" in lines[3]


def test_compile_uses_torch_compile(tiny_data, monkeypatch):
    compiled = []
    monkeypatch.setattr(torch, "compile", lambda m, **k: compiled.append(m) or m)
    model = small_model()
    fit(model, Loader(tiny_data, 50, device="cpu"), epochs=1, device="cpu", progress=False)
    assert compiled == []                                                   # off by default
    fit(model, Loader(tiny_data, 50, device="cpu"), epochs=1, device="cpu", progress=False, compile=True)
    assert compiled == [model]


# --- precision policy (mocked GPUs) ------------------------------------------------------------------

@pytest.mark.parametrize("cap, dtype, text", [
    ((7, 5), torch.float16, "fp16 autocast + GradScaler (compute capability 7.5)"),
    ((8, 0), torch.bfloat16, "bf16 autocast (compute capability 8.0), TF32 off"),
    ((9, 0), torch.bfloat16, "bf16 autocast (compute capability 9.0), TF32 off"),
])
def test_precision_follows_compute_capability(cap, dtype, text, monkeypatch):
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *a: cap)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)    # true on a T4 too
    set_tf32(False)
    p = precision(torch.device("cuda"))
    assert p.dtype == dtype and p.describe() == text and p.scaled == (dtype == torch.float16)
    off = precision("cuda", amp=False)
    assert off.dtype == torch.float32 and off.describe().startswith(f"float32 (compute capability {cap[0]}.{cap[1]})")
    assert precision("cuda", "fp16").dtype == torch.float16 and precision("cuda", "bf16").dtype == torch.bfloat16


def test_precision_on_the_cpu_and_tf32_switch():
    assert precision("cpu").describe() == "float32 (CPU)" and precision("cpu").grad_scaler() is None
    assert Precision("mps").describe() == "float32 (MPS)"
    with precision("cpu").autocast():
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.float32
    try:
        set_tf32(True)
        assert tf32_enabled()
        set_tf32(False)
        assert not tf32_enabled()
        assert torch.backends.cuda.matmul.fp32_precision == torch.backends.cudnn.conv.fp32_precision == "ieee"
    finally:
        set_tf32(False)
    with pytest.raises(TypeError, match="enabled must be True or False"):
        set_tf32("off")


def test_run_card_sets_and_prints_the_precision_policy(capsys, monkeypatch):
    monkeypatch.setenv("CNNKIT_DEVICE", "cpu")
    set_tf32(True)
    card = cnnkit.RunCard()
    assert not tf32_enabled() and card.precision.describe() == "float32 (CPU)"
    assert "   precision: float32 (CPU)" in capsys.readouterr().out


# --- issue 11 item 3: device discipline and honest errors --------------------------------------------

def test_predict_and_evaluate_move_inputs_to_the_models_device(tiny_data):
    seen = []

    class OnMeta(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(1, device="meta"))

        def forward(self, x):
            seen.append(x.device.type)
            return torch.zeros(x.shape[0], 4)

    predict(OnMeta(), Loader(tiny_data, 100, device="cpu"))
    assert seen == ["meta", "meta"]


def test_a_device_mismatch_names_both_devices():
    with torch.device("meta"):
        layer = nn.Linear(64, 4)
    model = nn.Sequential(nn.Flatten(), layer)
    with pytest.raises(RuntimeError, match=r"device mismatch: the batch is on cpu but Linear's weights are on meta") as e:
        forward(model, torch.zeros(2, 1, 8, 8))
    assert isinstance(e.value.__cause__, RuntimeError) and "check the first layer" not in str(e.value).lower()


def test_a_first_layer_shape_mismatch_keeps_the_shape_hint(tiny_data):
    with pytest.raises(ValueError, match=r"cannot take a batch of shape \(50, 1, 8, 8\).*first layer") as e:
        fit(small_model(c=3), Loader(tiny_data, 50, device="cpu"), device="cpu", progress=False)
    assert isinstance(e.value.__cause__, RuntimeError)            # chained, not hidden
    conv = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    with pytest.raises(ValueError, match="first layer"):
        forward(conv, torch.zeros(1, 1, 8, 8))


def test_a_later_flatten_linear_mismatch_gets_its_own_hint():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.Flatten(), nn.Linear(7 * 7 * 2, 4))
    with pytest.raises(ValueError, match="Flatten -> Linear size") as e:
        forward(model, torch.zeros(2, 1, 8, 8))
    assert e.value.__cause__ is not None


def test_other_errors_keep_their_traceback():
    class Bad(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)

        def forward(self, x):
            x = self.conv(x)
            raise RuntimeError("Expected something else entirely, size 3")

    with pytest.raises(RuntimeError, match="^Expected something else entirely, size 3$") as e:
        forward(Bad(), torch.zeros(1, 1, 8, 8))
    assert e.value.__cause__ is None and e.traceback[-1].name == "forward"       # the original, untouched

    class ViewAfterConv(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)

        def forward(self, x):
            return self.conv(x).permute(0, 2, 3, 1).view(x.shape[0], -1)       # what channels_last breaks

    with pytest.raises(RuntimeError, match=r"use .flatten\(1\) or .reshape") as e:
        forward(ViewAfterConv(), torch.zeros(1, 1, 8, 8))
    assert e.value.__cause__ is not None


def test_fit_keeps_training_numbers_of_the_plain_loop(tiny_data):
    """fit on the CPU equals the loop written out (chapter 01 shows the same on real data)."""
    def loader():
        return Loader(tiny_data, 32, shuffle=True, device="cpu", seed=3)
    torch.manual_seed(0)
    m1 = small_model()
    h = fit(m1, loader(), Loader(tiny_data, 64, device="cpu"), epochs=2, lr=1e-2, device="cpu", progress=False)
    m2 = small_model()
    opt = torch.optim.Adam(m2.parameters(), lr=1e-2)
    train = loader()
    accs = []
    for _ in range(2):
        m2.train()
        for x, y in train:
            loss = nn.functional.cross_entropy(m2(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        m2.eval()
        with torch.no_grad():
            accs.append(sum(int((m2(x).argmax(1) == y).sum()) for x, y in Loader(tiny_data, 64, device="cpu")) / 200)
    assert accs == h["test_acc"]
    assert all(torch.equal(a, b) for a, b in zip(m1.parameters(), m2.parameters()))
    assert math.isfinite(h.final["train_loss"])


def test_an_error_leaves_no_summary_line(tiny_data, capsys):
    with pytest.raises(ValueError, match="class labels"):
        fit(small_model(classes=2), Loader(tiny_data, 50, device="cpu"), device="cpu", name="bad")
    assert capsys.readouterr().out == ""
