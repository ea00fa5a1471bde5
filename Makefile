# Developer and CI entry points. Everything runs from the project's own .venv.

BIN := .venv/bin
STAMP := .venv/.installed
CLUSTER := deploy/postgres/testcluster.sh
KAFKA := deploy/kafka/broker.sh
KAFKA_DIR ?= var/kafka
KAFKA_PORT ?= 9092
KAFKA_CONTROLLER_PORT ?= 9093
RUN_ENV := HUIYIN_DEMO=1 HUIYIN_DATA_DIR=var

.PHONY: .venv run test test-unit test-integration test-e2e lint bench postgres postgres-stop kafka kafka-stop clean
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
	$(RUN_ENV) $(BIN)/huiyin-notify init
	$(RUN_ENV) $(BIN)/huiyin stream prepare
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

# Local single-node Kafka (KRaft) on 127.0.0.1:$(KAFKA_PORT); prints the bootstrap address.
# Idempotent while it runs; every new start begins empty (no topics, no offsets).
kafka:
	@bash $(KAFKA) status $(KAFKA_DIR) 2>/dev/null || bash $(KAFKA) start $(KAFKA_DIR) $(KAFKA_PORT) $(KAFKA_CONTROLLER_PORT)

kafka-stop:
	@bash $(KAFKA) stop $(KAFKA_DIR)

clean: postgres-stop kafka-stop
	rm -rf var .venv
