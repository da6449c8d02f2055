"""One LeNet-5 training epoch on Fashion-MNIST (60,000 images, Adam, batch 128): cnnkit's
tensor loader + ``fit`` against the textbook loop (torchvision dataset with ToTensor/Normalize
transforms, DataLoader, the usual for-loop), same model, same run.

    .venv/bin/python benchmarks/lenet_epoch.py [--batch-size 128] [--workers 0] [--device cpu]

Prints seconds per epoch for each and the ratio. Both start from the same initial weights.
"""
import argparse
import copy
import sys
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, timed  # noqa: E402

import cnnkit  # noqa: E402
from cnnkit.data import data_root  # noqa: E402


def textbook_epoch(model, batch_size, workers, device, limit=None):
    import torchvision
    from torchvision import transforms as T

    ds = torchvision.datasets.FashionMNIST(str(data_root()), train=True, download=False,
                                           transform=T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))]))
    if limit:
        ds = torch.utils.data.Subset(ds, range(limit))
    dl = torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=True, num_workers=workers,
                                     pin_memory=device.type == "cuda")
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    model.to(device).train()
    correct = total = 0
    for x, y in dl:
        x, y = x.to(device), y.to(device)
        out = model(x)
        loss = loss_fn(out, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        correct += int((out.argmax(1) == y).sum())
        total += y.numel()
    return correct / total


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--device", default=None)
    ap.add_argument("--limit", type=int, default=None, help="use only this many images (smoke runs)")
    args = ap.parse_args(argv)
    device = cnnkit.get_device(args.device)
    cnnkit.seed_everything(0)
    start = cnnkit.models.lenet5()

    (train, _), t_load = timed(lambda: cnnkit.loaders("fashion_mnist", args.batch_size, normalize="pm1",
                                                      n_train=args.limit, n_test=1000, device=device))
    ours = copy.deepcopy(start)
    h, t_ours = timed(lambda: cnnkit.fit(ours, train, epochs=1, device=device, progress=False), device)
    acc_tb, t_tb = timed(lambda: textbook_epoch(copy.deepcopy(start), args.batch_size, args.workers, device, args.limit), device)

    print(f"device: {machine(device)}")
    print(f"cnnkit loaders + fit: one-time load {t_load:.1f} s; epoch {t_ours:.2f} s (train acc {h.final['train_acc']:.3f})")
    print(f"textbook DataLoader loop (num_workers={args.workers}): epoch {t_tb:.2f} s (train acc {acc_tb:.3f})")
    print(f"cnnkit is {t_tb / t_ours:.1f}x faster per epoch")


if __name__ == "__main__":
    main()
