"""One epoch of CIFAR-10 training batches with random crop (pad 4) + horizontal flip + normalisation:
cnnkit's tensor loader against the textbook torchvision DataLoader with PIL transforms, same run.

    .venv/bin/python benchmarks/loader.py [--batch-size 128] [--workers 0 2] [--device cpu]

Prints images per second for each and the ratio. The batches are moved to the training device
in both cases (that is where a model would use them); no model runs.
"""
import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, timed  # noqa: E402

import cnnkit  # noqa: E402
from cnnkit.data import Augment, Loader, channel_stats, data_root, load  # noqa: E402


def textbook_epoch(batch_size, workers, device, mean, std, limit=None):
    import torchvision
    from torchvision import transforms as T

    tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(mean, std)])
    ds = torchvision.datasets.CIFAR10(str(data_root()), train=True, download=False, transform=tf)
    if limit:
        ds = torch.utils.data.Subset(ds, range(limit))
    dl = torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=True, num_workers=workers,
                                     pin_memory=device.type == "cuda", persistent_workers=False)
    n = 0
    for x, y in dl:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        n += x.shape[0]
    return n


def cnnkit_epoch(loader):
    n = 0
    for x, y in loader:
        n += x.shape[0]
    return n


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--workers", type=int, nargs="+", default=[0, 2], help="DataLoader num_workers to try")
    ap.add_argument("--device", default=None)
    ap.add_argument("--epochs", type=int, default=2, help="cnnkit epochs to time (the first includes warm-up)")
    ap.add_argument("--limit", type=int, default=None, help="use only this many images (smoke runs)")
    args = ap.parse_args(argv)
    device = cnnkit.get_device(args.device)
    torch.manual_seed(0)

    (train, stats), t_load = timed(lambda: (lambda d: (d, channel_stats(d)))(load("cifar10", train=True, device=None)))
    mean, std = stats
    if args.limit:
        train = train.take(torch.arange(args.limit))
    (loader), t_move = timed(lambda: Loader(train, args.batch_size, shuffle=True, augment=Augment(crop=4, flip=True),
                                            normalize=stats, device=device), device)
    times = []
    for _ in range(args.epochs):
        n, t = timed(lambda: cnnkit_epoch(loader), device)
        times.append(t)
    t_ours = min(times)
    ours = n / t_ours

    print(f"device: {machine(device)}")
    print(f"cnnkit: one-time load {t_load:.1f} s + copy to {device.type} {t_move:.2f} s; "
          f"epoch of {n} images in {t_ours:.2f} s = {ours:,.0f} images/s")
    best = None
    for w in args.workers:
        n_tb, t_tb = timed(lambda: textbook_epoch(args.batch_size, w, device, mean, std, args.limit), device)
        rate = n_tb / t_tb
        print(f"textbook DataLoader (PIL transforms, num_workers={w}): epoch in {t_tb:.2f} s = {rate:,.0f} images/s; "
              f"cnnkit is {ours / rate:.1f}x faster")
        best = rate if best is None else max(best, rate)
    print(f"ratio against the fastest textbook setting: {ours / best:.1f}x")


if __name__ == "__main__":
    main()
