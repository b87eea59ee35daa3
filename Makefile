# The README's two commands: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo test check bench fuzz clean

# On a terminal the demo ends with the console serving its data until Ctrl-C; without one
# (CI, a pipe) it ends by printing the command that starts the console.
demo: $(STAMP)
	@if [ -t 0 ]; then $(VENV)/bin/opco-watch demo --serve; else $(VENV)/bin/opco-watch demo; fi

test: $(STAMP)
	$(PY) -m pytest

check: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# 1,000,000 mutated pages and API answers through every parser; prints a table of inputs and
# crashes per target and keeps each crash under tests/fuzz/crashes/ (replayed by `make test`)
fuzz: $(STAMP)
	$(PY) -m tests.fuzz --inputs 1000000

bench: $(STAMP)
	$(PY) bench/store.py
	$(PY) bench/poll.py
	$(PY) bench/classify.py
	$(PY) bench/draft.py
	$(PY) bench/alerts.py

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstalls whenever pyproject.toml changes (the stamp name carries its checksum).
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
