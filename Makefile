# Developer and CI entry points. Everything runs from the project's own .venv.

BIN := .venv/bin
STAMP := .venv/.installed
CLUSTER := deploy/postgres/testcluster.sh
KAFKA := deploy/kafka/broker.sh
KAFKA_DIR ?= var/kafka
KAFKA_PORT ?= 9092
KAFKA_CONTROLLER_PORT ?= 9093
# `make run` keeps its data here (PORT=8001 or HUIYIN_DATA_DIR=/tmp/x make run for another).
# Every other setting comes from the environment as it is; links in messages lead to where it
# serves unless HUIYIN_PUBLIC_URL says otherwise (shared/settings.py).
HUIYIN_DATA_DIR ?= var
RUN_ENV := HUIYIN_DEMO=$${HUIYIN_DEMO:-1} HUIYIN_DATA_DIR=$(HUIYIN_DATA_DIR) PORT=$${PORT:-8000}

.PHONY: .venv web-assets run test test-unit test-integration test-fuzz test-e2e test-browser chromium translations lint bench bench-scale fuzz postgres postgres-stop kafka kafka-stop clean
# The tiers run one after another, cheapest first, and stop at the first that fails.
.NOTPARALLEL:

.venv: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv .venv
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# The dashboard's chart library, from the npm registry at the lockfile's versions (npm ci: the
# integrity hashes are checked, no package's install scripts run), copied into
# web/static/vendor/ (git-ignored) for the app to serve. Under CI=true a failed install fails.
# The same install brings axe-core, a test asset (a devDependency): the browser tests inject it
# into each page from node_modules, and the app never serves it.
ASSETS := services/complaints/web/assets
VENDORED := services/complaints/web/static/vendor/chart.umd.min.js
AXE := $(ASSETS)/node_modules/axe-core/axe.min.js
web-assets: $(VENDORED) $(AXE)
$(VENDORED) $(AXE) &: $(ASSETS)/package.json $(ASSETS)/package-lock.json
	cd $(ASSETS) && npm ci --ignore-scripts --no-audit --no-fund && npm run --silent vendor
	touch $(VENDORED) $(AXE)

# The tables and the stream first, once; then every process under supervisord in the
# foreground (deploy/supervisord.conf): one that dies is started again, the others go on;
# Ctrl-C stops them all.
run: $(STAMP) $(VENDORED)
	mkdir -p $(HUIYIN_DATA_DIR)
	$(RUN_ENV) $(BIN)/huiyin init
	$(RUN_ENV) $(BIN)/huiyin-notify init
	$(RUN_ENV) $(BIN)/huiyin stream prepare
	$(RUN_ENV) exec $(BIN)/supervisord -c deploy/supervisord.conf

test: test-unit test-integration test-fuzz test-e2e test-browser

# Each tier names its ten slowest tests: the whole run must stay well inside CI's time.
test-unit test-integration test-fuzz test-e2e test-browser: test-%: $(STAMP) $(VENDORED)
	$(BIN)/pytest tests/$* -q --durations=10 $(PARALLEL)

# The integration and end-to-end tiers mostly wait on their servers and processes (PostgreSQL,
# Kafka, SMTP, the services), not on the cores, so pytest-xdist runs each in TEST_WORKERS
# processes (2 unless told; 0 runs it in this one): a file's tests all in one worker (--dist
# loadfile), each worker with servers of its own. The browser tier keeps the cores busy
# (Chromium) and runs in one.
TEST_WORKERS ?= 2
test-integration test-e2e: PARALLEL = $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

# The browser tier also needs axe-core (a test asset, never served).
test-browser: $(AXE)

# schemathesis over the whole API for longer than `make test` does (100 examples an operation
# and phase unless HUIYIN_FUZZ_EXAMPLES says otherwise), as a supervisor, a handler and no one.
fuzz: $(STAMP) $(VENDORED)
	$(BIN)/python -m tests.fuzz

# The browser tier drives Debian's chromium through Playwright (never a browser download), with
# Noto CJK so Chinese pages render; both are installed when missing. Under CI=true a failed
# install stops the run here; elsewhere the browser tests then fail, saying what is missing.
BROWSER_PACKAGES := chromium fonts-noto-cjk
test-browser: chromium
chromium:
	@if ! command -v chromium >/dev/null || ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
	  echo "make: installing $(BROWSER_PACKAGES) from Debian"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends $(BROWSER_PACKAGES); } \
	  || { echo "make: could not install $(BROWSER_PACKAGES) (run as root?)" >&2; [ "$$CI" != true ]; }; \
	fi

# After changing the words of a page: extract them, merge them into each language's .po,
# translate the new entries there, then run this again to compile the .mo files (committed).
TRANSLATIONS := services/complaints/translations
translations: $(STAMP)
	mkdir -p var
	$(BIN)/pybabel -q extract -F babel.cfg --add-location=file --project=Huiyin --width=100 \
	    -o var/messages.pot services/complaints/web
	for lang in zh en ru; do \
	  if [ -f $(TRANSLATIONS)/$$lang/LC_MESSAGES/messages.po ]; then \
	    $(BIN)/pybabel -q update --ignore-obsolete --width=100 -i var/messages.pot -d $(TRANSLATIONS) -l $$lang; \
	  else $(BIN)/pybabel -q init -i var/messages.pot -d $(TRANSLATIONS) -l $$lang; fi || exit 1; \
	done
	$(BIN)/pybabel compile -d $(TRANSLATIONS) --statistics

# ruff, then the import rules of pyproject.toml's [tool.importlinter] (layers, forbidden imports).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

bench: $(STAMP)
	$(BIN)/python -m tests.bench

# A province's history on PostgreSQL, grown to SIZE cases (default 1,000,000: under 45 minutes
# here) in steps of 10 k, 100 k and 1 M, with the read paths timed at each (tests/bench/scale).
SIZE ?= 1000000
bench-scale: $(STAMP) $(VENDORED)
	SIZE=$(SIZE) $(BIN)/python -m tests.bench.scale

postgres:
	@bash $(CLUSTER) start var/pg

postgres-stop:
	@bash $(CLUSTER) stop var/pg

# Local single-node Kafka (KRaft) on 127.0.0.1:$(KAFKA_PORT); prints the bootstrap address.
# Idempotent while it runs; every new start begins empty (no topics, no offsets).
kafka:
	@bash $(KAFKA) status $(KAFKA_DIR) 2>/dev/null || bash $(KAFKA) start $(KAFKA_DIR) $(KAFKA_PORT) $(KAFKA_CONTROLLER_PORT)

kafka-stop:
	@bash $(KAFKA) stop $(KAFKA_DIR)

clean: postgres-stop kafka-stop
	rm -rf var .venv $(ASSETS)/node_modules $(dir $(VENDORED))
