# The two commands of the course (see README.md):
#   make book   build the HTML book into _build/html from the stored outputs
#   make test   unit tests, every chapter under nbval (quick profile), the book build and its checks
# Each does its own set-up: a virtual environment in .venv with cnnkit installed (editable).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.cnnkit-installed
SEED   := ../shared/data/seed-offline-data
MATHJAX := _mathjax/mathjax/tex-chtml.js
export CNNKIT_PROFILE ?= quick
export PYTHONHASHSEED := 0

.PHONY: book test unit notebooks book-check data venv clean exercises gpu-pack gpu-run

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=23"
	$(BIN)/python -m pip install --quiet -e ".[test,book]"
	touch $@

# Offline copies when the shared seeding script is beside the checkout; otherwise torchvision downloads.
data: venv
	@if [ -x $(SEED) ]; then $(SEED) data; \
	else $(BIN)/python -c "import cnnkit; [cnnkit.load(n, t) for n in ('fashion_mnist', 'cifar10') for t in (True, False)]"; fi

# MathJax served with the book (no CDN needed), from npm's mathjax@3 package.
$(MATHJAX):
	@command -v npm >/dev/null || { echo "make book needs npm (Node.js) to fetch MathJax"; exit 1; }
	rm -rf .cache/mathjax && mkdir -p .cache/mathjax _mathjax/mathjax
	cd .cache/mathjax && npm pack --silent mathjax@3 >/dev/null && tar xzf mathjax-*.tgz
	cp -r .cache/mathjax/package/es5/* _mathjax/mathjax/

book: venv $(MATHJAX)
	$(BIN)/jupyter-book build . -W --keep-going
	@echo "The book is in _build/html/index.html"

unit: venv data
	$(BIN)/python -m pytest -q tests cnnkit --doctest-modules -m "not book" --timeout 900

notebooks: venv data
	$(BIN)/python -m pytest -q --nbval --nbval-current-env --nbval-cell-timeout 900 chapters

# The browser check uses Debian's chromium: installed here when missing and running as root.
book-check: book
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1; }; } || \
		echo "chromium is not available: the browser check will be skipped"
	$(BIN)/python -m pytest -q tests -m book

test: unit notebooks book-check

# The whole book on a GPU machine (benchmarks/gpu/README.md): gpu-pack here (online), gpu-run there.
GPU_PY   ?= $(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON))
GPU_OUT  ?= gpu-run
GPU_ARGS ?=
gpu-pack:
	$(GPU_PY) benchmarks/gpu/gpupack.py prepare

gpu-run:
	$(GPU_PY) -m cnnkit.book run-all --profile full --out $(GPU_OUT) $(GPU_ARGS)

exercises: venv
	$(BIN)/python -m cnnkit.exercises build --out exercises_build

clean:
	rm -rf _build .cache _mathjax exercises_build
