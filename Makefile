# Two commands do everything: `make demo` and `make test`. Both create .venv and install the package on first use.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
NBS_OUTSIDE := corrective_unlearning/notebooks

.PHONY: install demo test test-nbs test-nbs-orders test-py check-clean lab clean run-notebook gpu-check gpu-check-smoke

$(STAMP): setup.py settings.ini constraints.txt
	@test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# The demo runs afresh into runs-local/ (which git ignores), so it leaves the clone as it was on any CPU; the
# published demo under runs/ is rewritten only on purpose (`grid demo --rerun-published`, then `report demo`).
# On x86-64 it pins torch's and oneDNN's CPU kernels to AVX2, the published demo's: then an AVX-512 CPU gives the
# published numbers bit for bit (every x86-64 CPU of the last decade has AVX2).
DEMO_ROOT := runs-local
AVX2 := $(if $(filter x86_64,$(shell uname -m)),ATEN_CPU_CAPABILITY=avx2 DNNL_MAX_CPU_ISA=AVX2,)
demo: install
	env $(AVX2) $(BIN)/corrective-unlearning grid demo --workers 2 --root $(DEMO_ROOT)
	$(BIN)/corrective-unlearning report demo --root $(DEMO_ROOT)

# The run notebook's parameters cell is derived from the declared options: rewrite it after adding an option.
run-notebook: install
	$(BIN)/python -c "from corrective_unlearning.runner import write_run_parameters; write_run_parameters('$(NBS_OUTSIDE)/run.ipynb')"

# The notebooks are the source: exporting and cleaning them must not change any file.
check-clean: install
	@before="$$(git status --porcelain; git diff)"; \
	$(BIN)/nbdev_export && $(BIN)/nbdev_clean && { [ ! -d $(NBS_OUTSIDE) ] || $(BIN)/nbdev_clean --fname $(NBS_OUTSIDE); }; \
	after="$$(git status --porcelain; git diff)"; \
	if [ "$$before" != "$$after" ]; then echo "nbdev_export/nbdev_clean changed files: export and clean the notebooks, then commit:"; git status --short; exit 1; fi

# Two test processes on two cores: one thread each, or torch's threads fight over the cores.
# Nothing may hang: each step has a time limit (well inside CI's 90 minutes) and says so when it runs past it;
# each pytest test has its own limit (pyproject.toml), and `--dist load` turns a crashed worker into a failed test
# (xdist's loadfile/loadscope scheduling can stall or crash internally when a worker dies).
NBS_LIMIT := 20m
PY_LIMIT := 30m
limited = timeout --kill-after=30 $(1) $(2); s=$$?; \
	if [ $$s = 124 ] || [ $$s = 137 ]; then echo "make $@: stopped after $(1): '$(2)' ran past its time limit (a hung test?)" >&2; fi; exit $$s

test-nbs: install slurm
	@$(call limited,$(NBS_LIMIT),env OMP_NUM_THREADS=1 $(BIN)/nbdev_test --n_workers 2 --flags slow)

# Every notebook in one process, in file order and reversed: nothing one notebook registers may reach another.
test-nbs-orders: install
	@$(call limited,$(NBS_LIMIT),env OMP_NUM_THREADS=1 $(BIN)/python tools/nbs_in_order.py)
	@$(call limited,$(NBS_LIMIT),env OMP_NUM_THREADS=1 $(BIN)/python tools/nbs_in_order.py --reverse)

test-py: install chromium fashion-data slurm
	@$(call limited,$(PY_LIMIT),env OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q -n 2 --dist load tests)

test: check-clean test-nbs test-py

# Paper scale on a CUDA device in one command (CIFAR-10-shaped data, the seed's command, every method and detector,
# a grid, the benchmark), reported in runs/gpu/<device>.md and .json; without CUDA it exits 2 and names the smoke
# mode, the same steps at tiny sizes on the CPU (the tests run it). PYTHON=python3 uses an interpreter that already
# has the requirements (a GPU machine's own torch) instead of .venv; GPU_CHECK_ARGS passes more flags (--out DIR).
gpu-check: $(if $(PYTHON),,install)
	$(or $(PYTHON),$(BIN)/python) -m corrective_unlearning.gpu_check $(GPU_CHECK_ARGS)

gpu-check-smoke: install
	env OMP_NUM_THREADS=1 $(BIN)/python -m corrective_unlearning.gpu_check --smoke $(GPU_CHECK_ARGS)

clean:
	rm -rf logs _docs _proc $(DEMO_ROOT)

# Docs without Quarto: tools/docs.py runs nbdev's processing (the show_doc API docs included) and renders every
# page into _docs/; tests/test_docs.py builds it again and opens every page in headless Chromium.
# README.md is written from nbs/index.ipynb by tools/readme.py (tests/test_readme.py fails when it is stale).
.PHONY: docs chromium readme fashion-data outputs slurm
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Real Fashion-MNIST files from Debian (the dataset tests use them when present); skipped where apt cannot run.
fashion-data:
	@[ -d /usr/share/datasets/fashion-mnist ] || ($(SUDO) apt-get install -y dataset-fashion-mnist >/dev/null 2>&1 || \
	  ($(SUDO) apt-get update >/dev/null && $(SUDO) apt-get install -y dataset-fashion-mnist >/dev/null)) || \
	  echo "could not install dataset-fashion-mnist; its real-file tests will use tiny files only"

# SLURM and munge from Debian: tests/test_slurm.py and the Dask tutorial start a one-machine SLURM (LocalSlurm) and run
# grids in its jobs; the daemons are started only by them, never as services.
slurm:
	@command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null || \
	  ($(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slurm-wlm munge)

chromium:
	@command -v chromium >/dev/null || command -v google-chrome >/dev/null || \
	  ($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium)

docs: install chromium
	$(BIN)/python tools/docs.py

readme: install
	$(BIN)/python tools/readme.py

# Notebooks keep their outputs for the docs; this re-executes every one in place and records the code it ran against
# (tests/test_outputs.py fails when that no longer matches), then rewrites README.md from the home page.
outputs: install
	$(BIN)/python tools/outputs.py
	$(BIN)/python tools/readme.py

# JupyterLab on 127.0.0.1 with the project's kernel (registered inside .venv), no browser.
# JupyterLab on 127.0.0.1:LAB_PORT (make lab LAB_PORT=9999), its URL with the token printed first.
LAB_PORT ?= 8888
lab: install
	$(BIN)/python -m ipykernel install --sys-prefix --name corrective_unlearning --display-name "Python (corrective_unlearning)"
	@token=$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(16))'); \
	echo; echo "    JupyterLab: http://127.0.0.1:$(LAB_PORT)/lab?token=$$token"; echo; \
	exec $(BIN)/jupyter lab --ip=127.0.0.1 --port=$(LAB_PORT) --port-retries=0 --no-browser \
	  --IdentityProvider.token=$$token $$([ "$$(id -u)" = 0 ] && echo --allow-root)
