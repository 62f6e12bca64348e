# Two commands do everything: `make demo` and `make test`. Both create .venv and install the package on first use.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
NBS_OUTSIDE := corrective_unlearning/notebooks

.PHONY: install demo test test-nbs test-py check-clean lab clean

$(STAMP): setup.py settings.ini constraints.txt
	@test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/corrective-unlearning grid demo --workers 2
	$(BIN)/corrective-unlearning report demo

# The notebooks are the source: exporting and cleaning them must not change any file.
check-clean: install
	@before="$$(git status --porcelain; git diff)"; \
	$(BIN)/nbdev_export && $(BIN)/nbdev_clean && { [ ! -d $(NBS_OUTSIDE) ] || $(BIN)/nbdev_clean --fname $(NBS_OUTSIDE); }; \
	after="$$(git status --porcelain; git diff)"; \
	if [ "$$before" != "$$after" ]; then echo "nbdev_export/nbdev_clean changed files: export and clean the notebooks, then commit:"; git status --short; exit 1; fi

test-nbs: install
	$(BIN)/nbdev_test --n_workers 2 --flags slow

test-py: install
	$(BIN)/python -m pytest -q -n 2 tests

test: check-clean test-nbs test-py

clean:
	rm -rf logs _docs _proc
