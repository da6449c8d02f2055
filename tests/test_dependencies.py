"""pyproject declares what cnnkit imports, with lower bounds that have the APIs cnnkit uses."""
import ast
import re
import sys
from pathlib import Path

import tomllib

TOP = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((TOP / "pyproject.toml").read_text())["project"]
# import name -> the distribution that provides it (when the names differ, or it comes with another)
PROVIDED_BY = {"yaml": "pyyaml", "sklearn": "scikit-learn", "skimage": "scikit-image", "IPython": "ipykernel",
               "jupyter_client": "nbclient", "jupyter_core": "nbclient"}


def _requirements(entries):
    return {re.split(r"[<>=!~\[; ]", e, 1)[0].lower(): e for e in entries}


def _imports():
    found = {}
    for path in (TOP / "cnnkit").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in {"cnnkit", "__future__"}:
                    found.setdefault(top, path.name)
    return found


def test_every_third_party_import_is_declared():
    runtime = _requirements(PROJECT["dependencies"])
    extras = _requirements(sum(PROJECT["optional-dependencies"].values(), []))
    missing = {mod: where for mod, where in _imports().items()
               if PROVIDED_BY.get(mod, mod).lower() not in runtime | extras}
    assert not missing, f"imported by cnnkit but not declared in pyproject.toml: {missing}"
    assert "pyyaml" in runtime  # cnnkit.book and cnnkit.gpurun read the book's YAML


def _lower_bound(dist):
    spec = _requirements(PROJECT["dependencies"])[dist]
    return tuple(int(v) for v in re.search(r">=\s*([\d.]+)", spec).group(1).split(".")[:2])


def test_torch_lower_bound_has_the_apis_cnnkit_uses():
    uses_amp_scaler = "torch.amp.GradScaler(" in (TOP / "cnnkit" / "env.py").read_text()
    assert uses_amp_scaler and _lower_bound("torch") >= (2, 3)   # torch.amp.GradScaler appeared in 2.3
    assert _lower_bound("torchvision") >= (0, 18)                 # torchvision's release for torch 2.3


def test_a_regular_install_ships_every_subpackage():
    """``pip install`` (Colab) must copy cnnkit's subpackages, not only the top-level modules."""
    from setuptools import find_packages
    find = tomllib.loads((TOP / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    shipped = set(find_packages(str(TOP), include=find["include"]))
    wanted = {".".join(p.relative_to(TOP).parts[:-1]) for p in (TOP / "cnnkit").rglob("__init__.py")}
    assert wanted <= shipped and "cnnkit.checks" in wanted
