# Every target runs through uv; `make help` lists them.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
export UV_PYTHON_DOWNLOADS ?= never

UV = $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
PYTEST_ARGS ?=

.PHONY: help uv sync portals-assets asyncapi-schemas run dist-run test test-fast lint fmt bench bench-scale eval helm-check infra-up infra-down

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

uv: ## Install uv with pip if it is missing
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install -q uv

sync: uv portals-assets services/publisher-api/apim_publisher/asyncapi/schemas/.stamp ## Install the workspace (all services, dev tools) into .venv
	@$(UV) sync --frozen --quiet

PORTALS_FRONTEND = services/portals/frontend
PORTALS_VENDOR = services/portals/apim_portals/static/vendor

portals-assets: $(PORTALS_VENDOR)/.stamp ## npm ci the portals' browser assets (htmx, API reference renderer) into static/vendor

$(PORTALS_VENDOR)/.stamp: $(PORTALS_FRONTEND)/package.json $(PORTALS_FRONTEND)/package-lock.json
	cd $(PORTALS_FRONTEND) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	rm -rf $(PORTALS_VENDOR) && mkdir -p $(PORTALS_VENDOR)/scalar
	cp $(PORTALS_FRONTEND)/node_modules/htmx.org/dist/htmx.min.js $(PORTALS_VENDOR)/
	cp $(PORTALS_FRONTEND)/node_modules/@scalar/api-reference/dist/browser/standalone.js $(PORTALS_VENDOR)/scalar/
	mkdir -p $(PORTALS_VENDOR)/uplot
	cp $(PORTALS_FRONTEND)/node_modules/uplot/dist/uPlot.iife.min.js $(PORTALS_FRONTEND)/node_modules/uplot/dist/uPlot.min.css $(PORTALS_FRONTEND)/node_modules/uplot/LICENSE $(PORTALS_VENDOR)/uplot/
	touch $@

ASYNCAPI_SPECS = services/publisher-api/asyncapi-schemas
ASYNCAPI_SCHEMAS = services/publisher-api/apim_publisher/asyncapi/schemas

asyncapi-schemas: $(ASYNCAPI_SCHEMAS)/.stamp ## npm ci the official AsyncAPI JSON schemas into the publisher; regenerate each service's event_schemas.json
	$(UV) run --frozen python scripts/event_schemas.py

$(ASYNCAPI_SCHEMAS)/.stamp: $(ASYNCAPI_SPECS)/package.json $(ASYNCAPI_SPECS)/package-lock.json
	cd $(ASYNCAPI_SPECS) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	rm -rf $(ASYNCAPI_SCHEMAS) && mkdir -p $(ASYNCAPI_SCHEMAS)
	for v in 2.0.0 2.1.0 2.2.0 2.3.0 2.4.0 2.5.0 2.6.0 3.0.0; do \
	  cp "$(ASYNCAPI_SPECS)/node_modules/@asyncapi/specs/schemas/$$v-without-\$$id.json" $(ASYNCAPI_SCHEMAS)/$$v.json; \
	done
	cp $(ASYNCAPI_SPECS)/node_modules/@asyncapi/specs/LICENSE $(ASYNCAPI_SCHEMAS)/
	touch $@

run: sync ## Start everything in one process: control plane :9443, gateway :8280 (development mode)
	APIM_MODE=$${APIM_MODE:-development} APIM_LOG_JSON=$${APIM_LOG_JSON:-false} $(UV) run --frozen python -m apim_standalone

dist-run: sync ## Each service its own process on PostgreSQL, Kafka and Redis, two gateways (Ctrl-C stops)
	$(UV) run --frozen python scripts/dist_run.py

test: sync ## Start PostgreSQL, Redis and Kafka locally, run every test, stop them
	UV="$(UV)" scripts/test $(PYTEST_ARGS)

test-fast: sync ## Unit and service tests only (no servers, no end-to-end)
	$(UV) run --frozen pytest -q -m "not infra and not e2e" $(PYTEST_ARGS)

lint: sync ## ruff, mypy and the import contracts (.importlinter) over the whole workspace
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy libs services cli
	$(UV) run --frozen lint-imports

fmt: sync ## Format and fix what ruff can
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

bench: sync ## Benchmarks, each printed beside a reference measured in the same run
	UV="$(UV)" scripts/bench
	$(UV) run --frozen python benchmarks/eval_chat.py

bench-scale: sync ## The scale bench at full size: 10,000 APIs, 2,000 applications, 100,000 subscriptions
	$(UV) run --frozen python benchmarks/bench_scale.py --apis 10000 --per-app 50

eval: sync ## API chat's and the marketplace assistant's evaluations, current beside previous planner
	$(UV) run --frozen python benchmarks/eval_chat.py

helm-check: sync ## Lint, render and validate the Helm chart, and check the rendered objects
	scripts/helm-tools >/dev/null
	$(UV) run --frozen pytest -q tests/helm

infra-up: sync ## Start local PostgreSQL, Redis and the Kafka-compatible broker (.infra/env)
	scripts/infra up

infra-down: ## Stop what infra-up started
	scripts/infra down
