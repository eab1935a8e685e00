# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test install lint bench es-node clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev,train]'
	touch $(STAMP)

install: $(STAMP)

## Set up, load the demo data and start the service on http://127.0.0.1:8000
## (the first run prints the administrator's generated password once)
run: install
	$(BIN)/yuqing init
	$(BIN)/yuqing demo
	$(BIN)/yuqing run

## The whole test suite (starts a real Elasticsearch node when Java and Maven are present)
test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/nlp_throughput.py
	$(BIN)/python bench/sentiment_quality.py
	$(BIN)/python bench/category_quality.py
	$(BIN)/python bench/run_memory.py
	$(BIN)/python bench/spider_parse.py
	$(BIN)/python bench/site_check.py
	$(BIN)/python bench/es_ingest.py
	$(BIN)/python bench/alerts_api.py
	$(BIN)/python bench/weekly_report.py
	$(BIN)/python bench/overview_render.py
	$(BIN)/python bench/api_under_ingest.py
	$(BIN)/python bench/run_memory_flat.py

es-node:
	$(PYTHON) tools/es_node.py build

clean:
	rm -rf $(VENV) data tools/es-node/target
