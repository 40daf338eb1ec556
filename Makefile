# make demo   run the main job (sets up .venv on first use)
# make test   lint, then the whole test suite
# make notebook  the teaching notebooks in JupyterLab (installs it on first use)
# make bench  benchmarks (speed, memory); they compare with PyTorch where it is installed

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
FORMATS := --format svg --format png --format pdf

.PHONY: demo test lint bench notebook clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(PY) -m viz table
	$(PY) -m nn.train --save out/lenet5.npz
	$(PY) -m viz tanh-chain --n 4 --size slide $(FORMATS) --out out
	$(PY) -m viz tanh-chain --n 4 --skip --size slide $(FORMATS) --out out
	$(PY) -m viz lenet --size slide $(FORMATS) --out out
	$(PY) -m viz seed-figures --size slide $(FORMATS) --out out
	$(PY) -m viz gradient-vs-depth --out out
	$(PY) -m viz explore tanh-chain --n 4 --skip --html out/tanh4-skip-explorer.html
	@echo "Slide-ready pictures (SVG, PNG 1920x1080, PDF) of the graphs and the seed's figures are in out/,"
	@echo "and out/tanh4-skip-explorer.html steps through the backward pass in a browser"

lint: $(VENV)/.installed
	$(PY) -m ruff check .

test: lint
	$(PY) -m pytest

# JupyterLab refuses to start as root without --allow-root (containers and lab machines run as root)
notebook: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test,notebook]'
	$(PY) -m jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root )notebooks/

bench: $(VENV)/.installed
	$(PY) bench/bench_engine.py
	$(PY) bench/bench_lenet.py
	$(PY) bench/bench_busy.py
	$(PY) bench/bench_held_graphs.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
