# Developer entry points. CI runs `.ci/run`, which is `make test` then `make test-spark`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c

# Quiet pip: -q drops progress, and grep drops the "Location '...' is ignored" warnings this
# machine's pip config causes. Other warnings and errors still reach stderr; pip's exit status is
# kept (pipefail).
PIP_NOISE := ^WARNING: Location '.*' is ignored: it is neither a file nor a directory
pip = { $(BIN)/python -m pip -q $(1) 2>&1 1>&3 3>&- | { grep -v "$(PIP_NOISE)" || true; } >&2; } 3>&1

.PHONY: venv system-deps test test-spark lint format demo bench clean

venv: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The pip that installs the locks, pinned (its own stamp: bin/python is a symlink to an old
# binary, so a rule on it would rerun every time).
PIP_STAMP := $(VENV)/.pip-stamp
$(PIP_STAMP): requirements-pip.lock | $(BIN)/python
	@$(call pip,install --require-hashes -r requirements-pip.lock)
	@touch $(PIP_STAMP)

# Reinstall only when the lock file is newer than the stamp.
$(STAMP): requirements.lock $(PIP_STAMP)
	@echo "Installing requirements.lock and the crawler package into $(VENV)"
	@$(call pip,install --require-hashes -r requirements.lock)
	@$(call pip,install --no-deps -e .)
	@touch $(STAMP)

system-deps:
	scripts/ensure-system-packages

# Spark (tests/test_spark.py) is kept out of `make venv` and `make test`: pyspark is ~490 MB and
# needs Java. requirements-spark.lock is requirements.lock plus pyspark and py4j, so installing
# it over the venv changes nothing else.
SPARK_STAMP := $(VENV)/.stamp-spark
SPARK_SYSTEM_PACKAGES := openjdk-17-jre-headless
# Debian's Java 17, whatever `java` on the PATH is; an exported JAVA_HOME wins.
SPARK_JAVA_HOME = $${JAVA_HOME:-$$(ls -d /usr/lib/jvm/java-17-openjdk-* | head -n 1)}

$(SPARK_STAMP): requirements-spark.lock $(STAMP)
	@echo "Installing requirements-spark.lock into $(VENV)"
	@$(call pip,install --require-hashes -r requirements-spark.lock)
	@touch $(SPARK_STAMP)

test-spark: venv $(SPARK_STAMP)
	scripts/ensure-system-packages $(SPARK_SYSTEM_PACKAGES)
	JAVA_HOME="$(SPARK_JAVA_HOME)" $(BIN)/pytest -m spark

test: venv system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

demo: venv
	$(BIN)/python -m crawler.demo

bench: venv system-deps
	$(BIN)/python benchmarks/mirror_load.py
	$(BIN)/python benchmarks/crawl_bench.py
	$(BIN)/python benchmarks/editions_bench.py
	$(BIN)/python benchmarks/state_bench.py
	$(BIN)/python benchmarks/render_bench.py
	$(BIN)/python benchmarks/frontier_bench.py

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
