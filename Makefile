# One command sets up and runs the demo; one sets up and runs the tests. Each makes its own venv.
# A stamp per set of extras, so `make demo` (light) and `make test` (everything the suite needs) share .venv.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS ?= test,tokenizer,llm,text,video,body,app,lmm
DEMO_EXTRAS ?= tokenizer,llm,text
comma := ,
stamp = $(VENV)/.installed-$(subst $(comma),+,$(1))

.PHONY: setup demo test test-slow test-blender test-browser bench bench-full clean

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

test-browser: $(call stamp,$(EXTRAS)$(comma)browser)
	@command -v chromium >/dev/null || echo "needs Debian's chromium and chromium-driver: apt-get install -y chromium chromium-driver"
	$(BIN)/python -m pytest -m browser

# Benchmarks. `make bench`: every script in benchmarks/ (not the helpers) in its --quick smoke mode, from a fresh
# clone with nothing outside the repository (results in benchmarks/results/quick/, git-ignored). `make bench-full
# STORE=... BVH=...`: the measured runs on real data (STORE: a captioned Bandai-Namco clip store with
# train/val/test splits; BVH: the Bandai-Namco BVH folder), then docs/BENCHMARKS.md is regenerated.
BENCHES := $(filter-out benchmarks/collect.py benchmarks/bench_common.py,$(wildcard benchmarks/*.py))

bench: $(call stamp,$(EXTRAS)$(comma)bench)
	for b in $(BENCHES); do echo "== $$b --quick"; OMP_NUM_THREADS=1 $(BIN)/python $$b --quick || exit 1; done

bench-full: $(call stamp,$(EXTRAS)$(comma)bench$(comma)dist)
	@test -n "$(STORE)" -a -n "$(BVH)" || { echo "make bench-full STORE=<clip store> BVH=<BVH folder>"; exit 1; }
	$(BIN)/python benchmarks/bvh_ingest.py --bvh $(BVH)
	$(BIN)/python benchmarks/caption_rules_accuracy.py --bvh $(BVH)
	$(BIN)/python benchmarks/default_model.py --store $(STORE)
	$(BIN)/python benchmarks/sampling_sweep.py
	$(BIN)/python benchmarks/motion_onset.py --seeds 10 --store $(STORE)
	$(BIN)/python benchmarks/evaluation.py --store $(STORE)
	$(BIN)/python benchmarks/lm_constrained_decoding.py
	$(BIN)/python benchmarks/lm_speed.py --store $(STORE)
	$(BIN)/python benchmarks/pipeline_speed.py
	$(BIN)/python benchmarks/store_access.py
	$(BIN)/python benchmarks/tokenizer_sweep.py --preset small --store $(STORE)
	$(BIN)/python benchmarks/viz_render_speed.py
	$(BIN)/python benchmarks/collect.py

clean:
	rm -rf $(VENV) out
