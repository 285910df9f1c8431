# make report : create .venv when absent, install nlrstats, render the replication report from the bundled cohort
#               (with Quarto when `quarto` is on PATH, else the built-in engine; both write _output/replication.html)
# make test   : same environment, run the test suite
# make quarto : install Quarto 1.7.34 into .quarto-cli/ from ../shared/tools/quarto (when that exists)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
QUARTO_TOOLS ?= ../shared/tools/quarto

.PHONY: report test install bench clean quarto

$(PY):
	python3 -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

report: $(STAMP)
	$(VENV)/bin/nlrstats render replication --output-dir _output

test: $(STAMP)
	# the test files on both cores; a file stays on one worker, so its module fixtures render once
	MPLCONFIGDIR=$$(mktemp -d) $(PY) -m pytest -q -n 2 --dist loadfile

quarto:
	bash $(QUARTO_TOOLS)/install.sh $(CURDIR)/.quarto-cli
	@echo "then: export PATH=$(CURDIR)/.quarto-cli/bin:\$$PATH"

bench: $(STAMP)
	$(PY) benchmarks/bench_survival.py
	$(PY) benchmarks/bench_table_one.py
	$(PY) benchmarks/bench_cutpoint.py

clean:
	rm -rf _output .pytest_cache
