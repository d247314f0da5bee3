# Two entry points on a fresh machine (Python >= 3.10 with venv):
#   make figures   set up .venv, then rebuild every figure with config/quick.yaml
#   make test      set up .venv, then run the whole test suite (what CI runs)
# TORCH pins the tested build; `make TORCH=torch` takes PyPI's default (CUDA) build instead.
VENV ?= .venv
PYTHON ?= python3
TORCH ?= torch==2.13.0
CORES ?= 2
BIN := $(VENV)/bin

.PHONY: setup figures paper test benchmark clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)" -e ".[test]"
	touch $@

figures: setup
	$(BIN)/snakemake --cores $(CORES) --configfile config/quick.yaml

paper: setup
	$(BIN)/snakemake --cores $(CORES)

test: setup
	$(BIN)/python -m pytest

benchmark: setup
	$(BIN)/python benchmarks/bench_canonical.py

clean:
	rm -rf results .snakemake
