"""One epoch of CIFAR-10 training batches with random crop (pad 4) + horizontal flip + normalisation:
cnnkit's tensor loader against the textbook torchvision DataLoader with PIL transforms, same run.

    .venv/bin/python benchmarks/loader.py [--batch-size 128] [--workers 0 2] [--epochs 2] [--device cpu]

Measured fairly: dataset construction (reading the files, cnnkit's copy to the device; the
torchvision dataset and its DataLoader) is timed separately on BOTH sides (the channel statistics
are computed once beforehand and given to both) and left out of the epoch
times; each side then iterates ``--epochs`` epochs and its fastest epoch counts. The ratio of the
epoch times is the headline; a second ratio includes construction on both sides (one epoch each).
The batches are moved to the training device in both cases (that is where a model would use
them); no model runs.
"""
import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, timed  # noqa: E402

import cnnkit  # noqa: E402
from cnnkit.data import Augment, Loader, channel_stats, data_root, load  # noqa: E402


def textbook_loader(batch_size, workers, device, mean, std, limit=None):
    """The usual torchvision pipeline: dataset with PIL transforms, shuffled DataLoader."""
    import torchvision
    from torchvision import transforms as T

    tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(mean, std)])
    ds = torchvision.datasets.CIFAR10(str(data_root()), train=True, download=False, transform=tf)
    if limit:
        ds = torch.utils.data.Subset(ds, range(limit))
    return torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=True, num_workers=workers,
                                       pin_memory=device.type == "cuda", persistent_workers=False)


def epoch(loader, device):
    """Iterate once over ``loader``, moving every batch to ``device``; returns the number of images."""
    n = 0
    for x, y in loader:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        n += x.shape[0]
    return n


def best_epoch(loader, device, epochs):
    """(images per epoch, fastest epoch in seconds, first epoch in seconds) over ``epochs`` epochs."""
    times = []
    for _ in range(epochs):
        n, t = timed(lambda: epoch(loader, device), device)
        times.append(t)
    return n, min(times), times[0]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--workers", type=int, nargs="+", default=[0, 2], help="DataLoader num_workers to try")
    ap.add_argument("--device", default=None)
    ap.add_argument("--epochs", type=int, default=2, help="epochs to time on each side (the fastest counts)")
    ap.add_argument("--limit", type=int, default=None, help="use only this many images (smoke runs)")
    args = ap.parse_args(argv)
    if args.epochs < 1:
        raise SystemExit("--epochs must be at least 1")
    device = cnnkit.get_device(args.device)
    torch.manual_seed(0)

    stats = channel_stats(load("cifar10", train=True, device=None))   # given to both sides, timed on neither

    def build_ours():
        import cnnkit.data
        if hasattr(getattr(cnnkit.data, "_load_tensors", None), "cache_clear"):
            cnnkit.data._load_tensors.cache_clear()    # read the files again, as the textbook side does
        train = load("cifar10", train=True, device=None)
        if args.limit:
            train = train.take(torch.arange(args.limit))
        return Loader(train, args.batch_size, shuffle=True, augment=Augment(crop=4, flip=True), normalize=stats,
                      device=device)

    loader, build_t = timed(build_ours, device)
    n, ours_t, ours_first = best_epoch(loader, device, args.epochs)
    print(f"device: {machine(device)}")
    print(f"cnnkit: construction {build_t:.2f} s (read the files, copy to {device.type}); "
          f"epoch of {n} images in {ours_t:.3f} s = {n / ours_t:,.0f} images/s (fastest of {args.epochs})")
    mean, std = stats
    results = []
    for w in args.workers:
        dl, tb_build = timed(lambda: textbook_loader(args.batch_size, w, device, mean, std, args.limit))
        n_tb, tb_t, tb_first = best_epoch(dl, device, args.epochs)
        results.append((w, tb_build, tb_t, tb_first))
        print(f"textbook DataLoader (PIL transforms, num_workers={w}): construction {tb_build:.2f} s; "
              f"epoch of {n_tb} images in {tb_t:.3f} s = {n_tb / tb_t:,.0f} images/s (fastest of {args.epochs}); "
              f"cnnkit's epoch is {tb_t / ours_t:.1f}x faster")
    w, tb_build, tb_t, tb_first = min(results, key=lambda r: r[2])
    print(f"with construction on both sides (one epoch each): cnnkit {build_t + ours_first:.2f} s, "
          f"textbook {tb_build + tb_first:.2f} s (num_workers={w}): {(tb_build + tb_first) / (build_t + ours_first):.1f}x")
    print(f"ratio against the fastest textbook setting (epochs only, construction on neither side): "
          f"{tb_t / ours_t:.1f}x")


if __name__ == "__main__":
    main()
