"""Get the book's GPU run onto a bare, offline GPU machine in a few device calls of at most 64 MiB each.

Here (online, in the repository root; standard library only):

    python benchmarks/gpu/gpupack.py prepare     # = wheels + split + plan
    python benchmarks/gpu/gpupack.py wheels --python-version 3.12   # wheels for one Python only
    python benchmarks/gpu/gpupack.py plan        # print the device calls again

On the GPU machine (every call; see benchmarks/gpu/README.md for the sequence):

    python3 benchmarks/gpu/gpupack.py stage             # unpack the parts carried so far, say what is in place
    python3 benchmarks/gpu/gpupack.py stage --final     # ... require everything, install the wheels

``wheels`` downloads nbclient, nbformat, ipykernel and torchinfo (the versions of this environment)
with their whole dependency closure, binary wheels for manylinux x86-64, for each Python version
asked for, into the git-ignored ``.whl/``. ``split`` measures the working tree that travels with
every call, then packs the compressed datasets (CIFAR-10 ``.xz`` from ``../shared/data``,
Fashion-MNIST ``.gz`` from Debian's package) and ``.whl`` into as few carry folders
``.carry/1``, ``.carry/2``, ... as fit, the smallest last (the call that also runs the book).
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import lzma
import os
import shutil
import subprocess
import sys
from pathlib import Path

MIB = 2**20
CALL_LIMIT = 64 * MIB  # what one device call may carry, working tree included
REQUIREMENTS = ["nbclient", "nbformat", "ipykernel", "torchinfo"]
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
PLATFORMS = ["manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64", "manylinux_2_5_x86_64",
             "manylinux1_x86_64", "manylinux_2_26_x86_64", "manylinux_2_12_x86_64", "manylinux2010_x86_64"]
# MD5 of the uncompressed files, as ../shared/data/seed-offline-data and torchvision check them.
FASHION = {
    "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
    "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
    "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
}
CIFAR10 = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
    "batches.meta": "5ff9c542aee3614f3951f8cda6e48888",
}
RUN = ("python3 benchmarks/gpu/gpupack.py stage --final && export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 && "
       "python3 -m cnnkit.book run-all --profile full --out /tmp/gpu-run --archive $OUT/gpu-run.tar.gz "
       "--time-limit 480 --jobs 4 --benchmark-timeout 120; cp /tmp/gpu-run/report.md $OUT/")


def md5(path: Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def tree_bytes(root: Path) -> int:
    """Bytes of the working tree a device call sends: tracked and untracked-not-ignored files, plus ``shared/``."""
    names = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=root, check=True,
                           capture_output=True).stdout.decode().split("\0")
    total = sum((root / n).stat().st_size for n in names if n and (root / n).is_file())
    shared = root / "shared"
    if shared.is_dir() and not shared.is_symlink():
        total += sum(p.stat().st_size for p in shared.rglob("*") if p.is_file() and not p.is_symlink())
    return total


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def installed_requirements() -> list[str]:
    """REQUIREMENTS pinned to the versions this environment has (CI's), unpinned where one is missing."""
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in REQUIREMENTS:
        try:
            out.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            out.append(name)
    return out


def pip_target_args(python_version: str) -> list[str]:
    args = ["--only-binary=:all:", "--implementation", "cp", "--python-version", python_version]
    for p in PLATFORMS:
        args += ["--platform", p]
    return args


def requirements_file(whl: Path, python_version: str) -> Path:
    """The requirements ``stage`` installs on Python ``python_version`` (written by ``wheels``)."""
    return whl / f"requirements-{python_version}.txt"


def download_wheels(dest: Path, pythons: list[str], requirements: list[str]) -> dict:
    """Download ``requirements`` and their dependencies for each Python version into ``dest``
    (emptied first), check that each version installs offline from it; return {version: bytes}.
    Where a pinned version does not support a Python (ipykernel 7 needs 3.11), that Python gets
    the newest versions that do."""
    dest.mkdir(parents=True, exist_ok=True)
    for old in [*dest.glob("*.whl"), *dest.glob("requirements-*.txt")]:
        old.unlink()
    sizes = {}
    for v in pythons:
        for reqs in (requirements, [r.split("==")[0] for r in requirements]):
            got = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                                  *pip_target_args(v), "--dest", str(dest), *reqs])
            if got.returncode == 0:
                break
        else:
            raise RuntimeError(f"no wheels of {requirements} for Python {v}")
        requirements_file(dest, v).write_text("\n".join(reqs) + "\n")
        report = dest / f".report-{v}.json"  # the same resolution, offline, as `stage --final` makes there
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--dry-run", "--ignore-installed", "--no-index", "--find-links", str(dest),
                        *pip_target_args(v), "--target", str(dest / ".dry"), "--report", str(report),
                        "-r", str(requirements_file(dest, v))], check=True)
        picked = json.loads(report.read_text())["install"]
        sizes[v] = sum((dest / Path(p["download_info"]["url"]).name).stat().st_size for p in picked)
        report.unlink()
    return sizes


def pack_parts(items: dict[str, int], capacity: int) -> list[list[str]]:
    """First-fit decreasing: split ``items`` (name -> bytes) into parts of at most ``capacity``
    bytes, the smallest part last.

    >>> pack_parts({"a": 6, "b": 5, "c": 4, "d": 1}, 10)
    [['a', 'c'], ['b', 'd']]
    """
    parts: list[list[str]] = []
    for name in sorted(items, key=lambda n: -items[n]):
        if items[name] > capacity:
            raise ValueError(f"{name} ({items[name] / MIB:.1f} MiB) does not fit in a call ({capacity / MIB:.1f} MiB)")
        for part in parts:
            if sum(items[n] for n in part) + items[name] <= capacity:
                part.append(name)
                break
        else:
            parts.append([name])
    return sorted(parts, key=lambda p: -sum(items[n] for n in p))


def split(root: Path, cifar: Path, fashion: Path, whl: Path, carry: Path, margin: int) -> dict:
    """Copy the compressed datasets into ``carry/1..k`` so that each call, with the tree, stays
    under 64 MiB; write and return the plan (also saved as ``carry/plan.json``)."""
    sources = {f"{n}.xz": cifar / f"{n}.xz" for n in CIFAR10}
    sources.update({f"{n}.gz": fashion / f"{n}.gz" for n in FASHION})
    missing = [str(p) for p in sources.values() if not p.is_file()]
    if missing:
        raise FileNotFoundError("missing dataset files: " + ", ".join(missing))
    items = {n: p.stat().st_size for n, p in sources.items()}
    if whl.is_dir() and any(whl.glob("*.whl")):
        items[".whl"] = folder_bytes(whl)
    tree = tree_bytes(root)
    capacity = CALL_LIMIT - tree - margin
    parts = pack_parts(items, capacity)
    if carry.exists():
        shutil.rmtree(carry)
    plan = {"tree_bytes": tree, "capacity_bytes": capacity, "calls": []}
    for i, names in enumerate(parts, 1):
        folder = carry / str(i)
        folder.mkdir(parents=True)
        files = [n for n in names if n != ".whl"]
        for n in files:
            shutil.copyfile(sources[n], folder / n)
        (folder / "manifest.json").write_text(json.dumps({"part": i, "parts": len(parts), "files": files}) + "\n")
        paths = [carry.relative_to(root).as_posix() + f"/{i}"] + ([".whl"] if ".whl" in names else [])
        plan["calls"].append({"carry": paths, "bytes": sum(items[n] for n in names) + tree,
                              "command": RUN if i == len(parts) else "python3 benchmarks/gpu/gpupack.py stage"})
    (carry / "plan.json").write_text(json.dumps(plan, indent=1) + "\n")
    return plan


def plan_text(plan: dict) -> str:
    """The device calls of ``plan``, one paragraph each, as they are to be made (back to back)."""
    lines = [f"working tree {plan['tree_bytes'] / MIB:.1f} MiB; each call may carry "
             f"{plan['capacity_bytes'] / MIB:.1f} MiB more. Make the calls back to back "
             "(the machine stays warm about 30 s after each):"]
    for i, call in enumerate(plan["calls"], 1):
        lines += [f"call {i}/{len(plan['calls'])}: {call['bytes'] / MIB:.1f} MiB with the tree",
                  f"  carry:   {json.dumps(call['carry'])}", f"  command: {call['command']}"]
    return "\n".join(lines)


def unpack(src: Path, dst: Path, digest: str) -> None:
    opener = lzma.open if src.suffix == ".xz" else gzip.open
    tmp = dst.with_name(dst.name + ".part")
    dst.parent.mkdir(parents=True, exist_ok=True)
    with opener(src, "rb") as fin, open(tmp, "wb") as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)
    if md5(tmp) != digest:
        tmp.unlink()
        raise RuntimeError(f"{src}: checksum mismatch after unpacking")
    os.replace(tmp, dst)


def stage(root: Path, data: Path, carry: Path, final: bool, site: Path | None, whl: Path) -> int:
    """On the GPU machine: unpack every carried file not yet in ``data`` (MD5-checked), say what
    is in place; with ``final``, require all of it and install the wheels into ``site``."""
    targets = {f"{n}.xz": (data / "cifar-10-batches-py" / n, d) for n, d in CIFAR10.items()}
    targets.update({f"{n}.gz": (data / "FashionMNIST" / "raw" / n, d) for n, d in FASHION.items()})
    stamp = data / ".gpupack-verified.json"  # files already checked: (size, mtime) each, so later calls are fast
    seen = json.loads(stamp.read_text()) if stamp.is_file() else {}

    def in_place(dst: Path, digest: str) -> bool:
        key, st = str(dst), dst.stat() if dst.is_file() else None
        if st and seen.get(key) == [st.st_size, st.st_mtime_ns]:
            return True
        if st and md5(dst) == digest:
            seen[key] = [st.st_size, st.st_mtime_ns]
            return True
        return False

    parts = sorted(int(m.parent.name) for m in carry.glob("*/manifest.json"))
    for m in sorted(carry.glob("*/manifest.json")):
        for name in json.loads(m.read_text())["files"]:
            dst, digest = targets[name]
            if (m.parent / name).is_file() and not in_place(dst, digest):
                unpack(m.parent / name, dst, digest)
    ready = [n for n, (dst, digest) in targets.items() if in_place(dst, digest)]
    data.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps(seen) + "\n")
    missing = sorted(set(targets) - set(ready))
    print(f"stage: parts here {parts}; datasets in place: CIFAR-10 {sum(n.endswith('.xz') for n in ready)}/7, "
          f"Fashion-MNIST {sum(n.endswith('.gz') for n in ready)}/4 files under {data}", flush=True)
    if not final:
        return 0
    if missing:
        print("stage: MISSING " + ", ".join(missing) + ": the machine went cold between calls; start again "
              "from call 1", file=sys.stderr)
        return 2
    reqs = requirements_file(whl, "%d.%d" % sys.version_info[:2])
    if not reqs.is_file():
        print(f"stage: no wheels for Python {sys.version.split()[0]} in {whl} (gpupack.py wheels "
              "--python-version ...)", file=sys.stderr)
        return 3
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-index",
           "--no-compile", "--upgrade", "--find-links", str(whl), "--target", str(site), "-r", str(reqs)]
    if subprocess.run(cmd).returncode != 0:
        print(f"stage: the wheels in {whl} do not install on Python {sys.version.split()[0]}", file=sys.stderr)
        return 3
    check = subprocess.run([sys.executable, "-c", "import nbclient, nbformat, ipykernel, torchinfo"],
                           env=dict(os.environ, PYTHONPATH=f"{site}{os.pathsep}{root}"))
    print(f"stage: wheels installed into {site}" + ("" if check.returncode == 0 else " BUT DO NOT IMPORT"), flush=True)
    return check.returncode and 4


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="gpupack.py", description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=Path.cwd(), help="repository root (default: here)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("prepare", "wheels"):
        w = sub.add_parser(name)
        w.add_argument("--python-version", nargs="+", default=PYTHONS, help=f"default: {' '.join(PYTHONS)}")
    for name in ("prepare", "split"):
        s = sub.choices.get(name) or sub.add_parser(name)
        s.add_argument("--cifar", type=Path, default=None, help="folder of the CIFAR-10 .xz files "
                       "(default: ../shared/data/cifar-10-batches-py)")
        s.add_argument("--fashion", type=Path, default=Path("/usr/share/datasets/fashion-mnist"))
        s.add_argument("--margin-mb", type=float, default=2.0, help="MiB kept free in every call")
    sub.add_parser("plan")
    st = sub.add_parser("stage")
    st.add_argument("--final", action="store_true", help="require everything and install the wheels")
    st.add_argument("--data", type=Path, default=None, help="torchvision root (default: ROOT/data)")
    st.add_argument("--site", type=Path, default=Path("/tmp/site"))
    args = ap.parse_args(argv)
    root = args.root.resolve()
    whl, carry = root / ".whl", root / ".carry"
    if args.cmd == "stage":
        return stage(root, args.data or root / "data", carry, args.final, args.site, whl)
    if args.cmd in ("prepare", "wheels"):
        sizes = download_wheels(whl, args.python_version, installed_requirements())
        print(f".whl: {folder_bytes(whl) / MIB:.1f} MiB in all; per Python: "
              + ", ".join(f"{v} {b / MIB:.1f} MiB" for v, b in sizes.items()))
    if args.cmd in ("prepare", "split"):
        near = [d / "shared" / "data" / "cifar-10-batches-py" for d in (root.parent, root.parent.parent)]
        cifar = args.cifar or next((d for d in near if d.is_dir()), near[0])
        split(root, cifar, args.fashion, whl, carry, int(args.margin_mb * MIB))
    if args.cmd in ("prepare", "split", "plan"):
        print(plan_text(json.loads((carry / "plan.json").read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
