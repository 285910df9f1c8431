# make report : create .venv when absent, install nlrstats, render the replication report from the bundled cohort
# make test   : same environment, run the test suite
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: report test install bench clean

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
	MPLCONFIGDIR=$$(mktemp -d) $(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/bench_survival.py
	$(PY) benchmarks/bench_table_one.py
	$(PY) benchmarks/bench_cutpoint.py

clean:
	rm -rf _output .pytest_cache
