# Developer and CI entry points. Everything runs from the project's own .venv.

BIN := .venv/bin
STAMP := .venv/.installed
CLUSTER := deploy/postgres/testcluster.sh
RUN_ENV := HUIYIN_DEMO=1 HUIYIN_DATA_DIR=var

.PHONY: .venv run test test-unit test-integration test-e2e lint bench postgres postgres-stop clean
# The tiers run one after another, cheapest first, and stop at the first that fails.
.NOTPARALLEL:

.venv: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv .venv
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

run: $(STAMP)
	mkdir -p var
	$(RUN_ENV) $(BIN)/huiyin init
	$(RUN_ENV) PORT=$${PORT:-8000} $(BIN)/honcho start -f Procfile

test: test-unit test-integration test-e2e

test-unit test-integration test-e2e: test-%: $(STAMP)
	$(BIN)/pytest tests/$* -q

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python -m tests.bench

postgres:
	@bash $(CLUSTER) start var/pg

postgres-stop:
	@bash $(CLUSTER) stop var/pg

clean: postgres-stop
	rm -rf var .venv
