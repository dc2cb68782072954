# One command sets up and runs the demo; one sets up and runs the tests. Each makes its own venv.
# A stamp per set of extras, so `make demo` (light) and `make test` (everything the suite needs) share .venv.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS ?= test,tokenizer,llm,video,body
DEMO_EXTRAS ?= tokenizer,llm
comma := ,
stamp = $(VENV)/.installed-$(subst $(comma),+,$(1))

.PHONY: setup demo test test-slow test-blender test-browser bench clean

$(VENV)/.installed-%: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	@# Prefer the CPU build of torch 2.13.0 where this machine has it; otherwise the range in pyproject.toml.
	$(BIN)/pip install -q "torch==2.13.0" 2>/dev/null || echo "torch 2.13.0 not available here; using pyproject's range"
	$(BIN)/pip install -q -e ".[$(subst +,$(comma),$*)]"
	@touch $@

setup: $(call stamp,$(EXTRAS))

demo: $(call stamp,$(DEMO_EXTRAS))
	$(BIN)/motionbase demo --out out/demo

test: setup
	$(BIN)/python -m pytest

test-slow: setup
	$(BIN)/python -m pytest -m slow

test-blender: setup
	$(BIN)/python -m pytest -m blender

test-browser: $(call stamp,test+tokenizer+llm+video+body+app)
	@command -v chromium >/dev/null || echo "needs Debian's chromium and chromium-driver: apt-get install -y chromium chromium-driver"
	$(BIN)/python -m pytest -m browser

bench: setup
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) out
