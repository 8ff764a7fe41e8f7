# The two commands of the README: `make demo` and `make test`. Both set up .venv from the lock.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
export DO_NOT_TRACK := 1
# Dagster's own instance (runs, logs) lives in the home folder, telemetry off.
export CIESS_HOME ?= $(abspath data)
export DAGSTER_HOME ?= $(CIESS_HOME)/dagster
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: demo test test-postgres test-fast bench bench-build fuzz lint check-defs dagster-home install lock clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

# dagster-dbt reads dbt's manifest when the definitions are imported.
MANIFEST := dbt_project/target/manifest.json
$(MANIFEST): $(STAMP) $(shell find dbt_project -name '*.sql' -o -name '*.yml' -o -name '*.md' | grep -v target/) $(wildcard sources/reference/*.csv)
	cd dbt_project && ../$(BIN)/dbt parse --quiet --profiles-dir .

install: $(STAMP) $(MANIFEST)

# Intake benchmark against DuckDB's plain load; results in docs/performance.md.
bench: $(STAMP)
	$(BIN)/python benchmarks/intake_bench.py $(if $(QUICK),--quick,)
	$(BIN)/python benchmarks/intake_profile.py $(if $(QUICK),200000,1000000)

# Warehouse benchmark: full, no-op and incremental builds, queries, reports at continental scale
# (SCALE=0.1 for a smaller data set); results in docs/performance.md.
bench-build: $(STAMP) $(MANIFEST)
	$(BIN)/python benchmarks/build_bench.py $(if $(SCALE),--scale $(SCALE),)

# Hostile input, long runs (docs/reliability.md): fuzz the intake (FILES, default 100000; MINUTES bounds it), then KILLS (default 100) kill -9s of `ciess submit`.
fuzz: $(STAMP) $(MANIFEST) dagster-home
	$(BIN)/python benchmarks/fuzz_intake.py $(if $(FILES),--files $(FILES),) $(if $(MINUTES),--minutes $(MINUTES),)
	$(BIN)/python benchmarks/kill_intake.py $(if $(KILLS),--kills $(KILLS),)

demo: $(STAMP) $(MANIFEST) dagster-home
	$(BIN)/ciess demo

lint: $(STAMP) $(MANIFEST)
	$(BIN)/ruff check pipelines sources tests benchmarks
	$(BIN)/ruff format --check pipelines sources tests benchmarks
	@mkdir -p $(CIESS_HOME)/warehouse
	$(BIN)/sqlfluff lint --nocolor dbt_project/models dbt_project/tests
	$(BIN)/lint-imports --no-cache   # the dependency direction (pyproject.toml [tool.importlinter])

dagster-home:
	@mkdir -p $(DAGSTER_HOME)
	@test -f $(DAGSTER_HOME)/dagster.yaml || printf 'telemetry:\n  enabled: false\n' > $(DAGSTER_HOME)/dagster.yaml

# Dagster's own checks of the definitions: dg's (the defs folder) and the workspace's (`dagster dev`).
check-defs: $(STAMP) $(MANIFEST) dagster-home
	VIRTUAL_ENV=$(abspath $(VENV)) $(BIN)/dg check defs
	$(BIN)/dagster definitions validate -w workspace.yaml

test: $(STAMP) $(MANIFEST) lint check-defs
	$(BIN)/pytest -n 2 -q

# The suite again on PostgreSQL, each test with a database of its own on a throw-away cluster that
# .ci/with-postgres starts and stops: every test but the builds and the long ones (whose many homes
# per test would share one database), and those marked `postgres` (the store's, the stack's, a build).
test-postgres: $(STAMP) $(MANIFEST) dagster-home
	.ci/with-postgres $(BIN)/pytest -n 2 -q -m "(not warehouse and not long) or postgres"

# While you work: every test but those that build a warehouse (`warehouse`) or run many cases of one property (`long`), in under a minute.
test-fast: $(STAMP) $(MANIFEST)
	$(BIN)/pytest -n 2 -q -m "not warehouse and not long"

# Re-create the full lock from the pins in pyproject.toml in a throw-away venv.
lock:
	rm -rf /tmp/ciess-lock && $(PYTHON) -m venv /tmp/ciess-lock
	/tmp/ciess-lock/bin/python -m pip install --quiet --upgrade pip
	/tmp/ciess-lock/bin/python -m pip install --quiet -e '.[dev,bench]'
	( echo '# Full lock of the environment (pip freeze of a fresh venv on Python 3.11). `make` installs exactly this.'; \
	  echo '# Regenerate: make lock (after changing the pins in pyproject.toml).'; \
	  /tmp/ciess-lock/bin/python -m pip freeze --exclude-editable ) > requirements.lock

clean:
	rm -rf $(VENV) data
