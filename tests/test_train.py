import math

import pytest
import torch
from torch import nn

from cnnkit.data import Loader
from cnnkit.train import History, evaluate, fit, load_checkpoint, predict, save_checkpoint


def small_model(c=1, hw=8, classes=4):
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(c * hw * hw, 16), nn.ReLU(), nn.Linear(16, classes))


def test_one_optimisation_step_changes_the_weights(tiny_data):
    model = small_model()
    before = [p.detach().clone() for p in model.parameters()]
    loader = Loader(tiny_data, batch_size=200, device="cpu")
    fit(model, loader, epochs=1, device="cpu", progress=False)
    after = list(model.parameters())
    assert all(not torch.equal(b, a) for b, a in zip(before, after))


def test_fit_learns_and_records_history(tiny_data, capsys):
    model = small_model()
    train = Loader(tiny_data, 32, shuffle=True, normalize="standard", device="cpu")
    test = Loader(tiny_data, 100, normalize=train.mean_std, device="cpu")
    h = fit(model, train, test, epochs=8, lr=1e-2, device="cpu", name="tiny")
    assert h.status == "finished" and len(h) == 8
    assert h.final["test_acc"] > 0.9 and h["train_loss"][-1] < h["train_loss"][0]
    assert set(h.final) >= {"epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr", "seconds"}
    out = capsys.readouterr()
    assert out.out.strip().splitlines() == [h.summary()]          # one compact line per run
    assert out.out.startswith("[tiny] finished: 8 epochs, train acc ") and "(best " in out.out
    assert out.err == ""  # nothing on stderr when not on a terminal
    ev = evaluate(model, test)
    assert ev["acc"] == pytest.approx(h.final["test_acc"]) and ev["loss"] == pytest.approx(h.final["test_loss"])
    logits, labels = predict(model, test)
    assert logits.shape == (200, 4) and torch.equal(labels, tiny_data.y)
    assert "tiny" in repr(h) and h.best("test_acc") == max(h["test_acc"])
    assert list(h.to_frame().columns)[:2] == ["train_loss", "train_acc"]


def test_history_round_trip():
    h = History("x")
    h.append(train_loss=1.0, train_acc=0.5, test_loss=None, test_acc=None, lr=0.1, seconds=1.5)
    h.status = "finished"
    h2 = History.from_state_dict(h.state_dict())
    assert h2.epochs == h.epochs and h2.status == "finished" and h2.seconds == 1.5
    assert h2.best("test_acc") is None and h2.best("train_loss") == 1.0


def test_diverging_loss_stops_with_a_message(tiny_data, capsys):
    model = small_model()
    loader = Loader(tiny_data, 50, device="cpu")  # raw 0..1 input, absurd learning rate
    h = fit(model, loader, epochs=20, optimizer=torch.optim.SGD(model.parameters(), lr=1e6), device="cpu")
    assert h.diverged and len(h) < 20
    assert "diverged" in h.message and "diverged" in capsys.readouterr().out


def test_nan_loss_stops(tiny_data):
    def nan_loss(out, y):
        return out.sum() * float("nan")
    h = fit(small_model(), Loader(tiny_data, 50, device="cpu"), epochs=2, loss_fn=nan_loss, device="cpu", progress=False)
    assert h.diverged and len(h) == 0 and "nan" in h.message


def test_keyboard_interrupt_returns_history_so_far(tiny_data):
    class Stop(Loader):
        epochs = 0
        def __iter__(self):
            Stop.epochs += 1
            if Stop.epochs == 3:
                raise KeyboardInterrupt
            yield from super().__iter__()
    h = fit(small_model(), Stop(tiny_data, 50, device="cpu"), epochs=10, device="cpu", progress=False)
    assert h.interrupted and len(h) == 2 and "interrupted" in h.message


def test_wrong_input_shape_is_a_clear_error(tiny_data):
    model = small_model(c=3)  # expects 3 channels, data has 1
    with pytest.raises(ValueError, match=r"cannot take a batch of shape \(50, 1, 8, 8\)"):
        fit(model, Loader(tiny_data, 50, device="cpu"), epochs=1, device="cpu", progress=False)


def test_bad_arguments(tiny_data):
    loader = Loader(tiny_data, 50, device="cpu")
    with pytest.raises(ValueError, match="scheduler_interval"):
        fit(small_model(), loader, scheduler_interval="step")
    with pytest.raises(ValueError, match="empty"):
        evaluate(small_model(), [])


def test_checkpoint_and_resume(tiny_data, tmp_path):
    ckpt = tmp_path / "run.pt"
    loader = Loader(tiny_data, 50, shuffle=True, device="cpu")
    model = small_model()
    h = fit(model, loader, epochs=2, device="cpu", checkpoint=ckpt, progress=False)
    assert ckpt.is_file() and len(h) == 2
    model2 = small_model()
    h2 = fit(model2, loader, epochs=4, device="cpu", checkpoint=ckpt, resume=True, progress=False)
    assert len(h2) == 4 and h2["epoch"] == [1, 2, 3, 4] and h2["train_loss"][:2] == h["train_loss"]
    model3 = small_model()
    h3 = load_checkpoint(ckpt, model3)
    assert len(h3) == 4 and all(torch.equal(a, b) for a, b in zip(model2.parameters(), model3.parameters()))
    save_checkpoint(tmp_path / "sub" / "x.pt", model3)
    assert (tmp_path / "sub" / "x.pt").is_file()


def test_scheduler_per_epoch_and_per_batch(tiny_data):
    loader = Loader(tiny_data, 50, device="cpu")  # 4 batches
    m = small_model()
    opt = torch.optim.SGD(m.parameters(), lr=1.0)
    h = fit(m, loader, epochs=3, optimizer=opt, scheduler=torch.optim.lr_scheduler.ExponentialLR(opt, 0.5),
            device="cpu", progress=False)
    assert h["lr"] == [1.0, 0.5, 0.25]
    m = small_model()
    opt = torch.optim.SGD(m.parameters(), lr=1.0)
    fit(m, loader, epochs=1, optimizer=opt, scheduler=torch.optim.lr_scheduler.ExponentialLR(opt, 0.5),
        scheduler_interval="batch", device="cpu", progress=False)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.5 ** 4)


def test_batch_fn_and_after_backward_hooks(tiny_data):
    norms = []
    seen = []

    def soften(x, y):  # class probabilities instead of indices
        seen.append(x.shape[0])
        return x, torch.nn.functional.one_hot(y, 4).float()

    def record(model):
        norms.append(float(model[1].weight.grad.norm()))

    h = fit(small_model(), Loader(tiny_data, 50, device="cpu"), epochs=1, device="cpu", progress=False,
            batch_fn=soften, after_backward=record)
    assert seen == [50] * 4 and len(norms) == 4 and all(math.isfinite(n) and n > 0 for n in norms)
    assert 0 <= h.final["train_acc"] <= 1
