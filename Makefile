# zkclear: two commands do all the set-up on a fresh machine.
#   make demo   runs the main job end to end on embedded defaults
#   make test   runs the whole test suite
# Both run `make setup` first, which is idempotent and quick when nothing changed.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
NATIVE_SRC := $(wildcard prover/native/src/*.rs prover/native/src/*/*.rs) prover/native/Cargo.toml $(wildcard prover/native/Cargo.lock)
PYTEST_ARGS ?=

.PHONY: setup demo test bench clean

setup: $(VENV)/.zkclear-installed node_modules/.zkclear-installed
	@# bytecode for the packages, even where PYTHONDONTWRITEBYTECODE is set: every `zkclear`
	@# process (a whole-process prove is timed against rapidsnark) then loads instead of compiling
	@$(PY) -m compileall -q -j 0 prover sequencer circuits verifier_contracts > /dev/null

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Editable install; maturin builds the native extension (release profile) into prover/_native*.so.
$(VENV)/.zkclear-installed: $(VENV)/bin/python pyproject.toml $(NATIVE_SRC)
	$(PY) -m pip install -q -e '.[test]'
	touch $@

node_modules/.zkclear-installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: setup
	$(VENV)/bin/zkclear demo --out demo_out

# -ra (pyproject addopts) ends the run with a summary of every skip and failure. Required tools
# and modules are never skipped: tests/conftest.py turns any skip whose reason does not start
# with "optional: " into a failure, so an incomplete `make setup` cannot pass by skipping.
test: setup
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

bench: setup
	$(VENV)/bin/zkclear bench prove --out bench_out

clean:
	rm -rf $(VENV) node_modules prover/native/target prover/_native*.so demo_out bench_out
