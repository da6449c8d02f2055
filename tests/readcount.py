"""Count the reads of tensor values back to the host (what makes a GPU wait for Python).

Used by tests/test_train_loop.py and runnable on its own to compare two versions of cnnkit:
``PYTHONPATH=<tree> python tests/readcount.py`` prints the reads per step of a ``fit`` run.
"""
from __future__ import annotations

import contextlib

import torch

READS = ("item", "tolist", "cpu", "numpy", "__float__", "__int__", "__bool__", "__index__", "__format__")


@contextlib.contextmanager
def count_reads(ignore=lambda t: False):
    """Wrap the Tensor methods that read values to the host; yields a list of the method names called.

    ``ignore(t)`` skips tensors whose reads cost nothing on a GPU either (e.g. Adam's step
    counters, which torch keeps on the CPU).
    """
    calls, saved = [], {name: getattr(torch.Tensor, name) for name in READS}

    def wrap(name, method):
        def wrapper(self, *args, **kwargs):
            if not ignore(self):
                calls.append(name)
            return method(self, *args, **kwargs)
        return wrapper

    for name, method in saved.items():
        setattr(torch.Tensor, name, wrap(name, method))
    try:
        yield calls
    finally:
        for name, method in saved.items():
            setattr(torch.Tensor, name, method)


def adam_step_counters(optimizer):
    """``ignore`` for :func:`count_reads`: Adam's per-parameter step counters (CPU tensors even on CUDA)."""
    def ignore(t):
        return any(t is s.get("step") for s in optimizer.state.values())
    return ignore


def fit_reads(n=2000, batch=20, epochs=2, **fit_kwargs):
    """(tensor reads, optimizer steps) of one ``cnnkit.fit`` run on random data on the CPU."""
    from torch import nn

    import cnnkit
    torch.manual_seed(0)
    data = cnnkit.ImageData((torch.rand(n, 1, 8, 8) * 255).to(torch.uint8), torch.arange(n) % 4, ("a", "b", "c", "d"))
    train = cnnkit.Loader(data, batch, shuffle=True, device="cpu")
    test = cnnkit.Loader(data, 500, device="cpu")
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 4))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    with count_reads(adam_step_counters(opt)) as calls:
        cnnkit.fit(model, train, test, epochs=epochs, optimizer=opt, device="cpu", progress=False, **fit_kwargs)
    return len(calls), epochs * len(train)


if __name__ == "__main__":
    reads, steps = fit_reads()
    print(f"fit: {reads} tensor reads in {steps} steps ({reads / steps:.2f} per step), 2 epochs, test set evaluated each epoch")
