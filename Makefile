# Customer Portal: the commands the README talks about. `make help` lists them.
# `make run` and `make test` work on a fresh machine: they create .venv first (see `install`).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LOCK_FILE ?= requirements-dev.lock
STAGE ?= dev
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="-k sign_in"`.
PYTEST_ARGS ?=
FUZZ_TESTS := tests/integration/test_fuzz_openapi.py
# Parallel pytest workers (pytest-xdist); 0 runs in one process.
PYTEST_WORKERS ?= 2
ifeq ($(PYTEST_WORKERS),0)
XDIST :=
else
XDIST := -n $(PYTEST_WORKERS) --dist loadscope
endif

# The venv first on PATH in every recipe: `sam build` finds the venv's python3.13 there.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export SAM_CLI_TELEMETRY := 0

# A working Python 3.13 (python3.13 on PATH, pyenv's 3.13.0, any pyenv 3.13.x), else python3
# with a warning: the code runs on 3.11+, but `sam build` needs python3.13.
define CREATE_VENV
py=""; \
for candidate in python3.13 "$$(pyenv prefix 3.13.0 2>/dev/null)/bin/python3.13" \
    $$(for v in $$(pyenv versions --bare 2>/dev/null | grep -E '^3\.13\.[0-9]+$$' | sort -t. -k3,3nr); \
       do echo "$$(pyenv prefix "$$v")/bin/python3.13"; done); do \
  if "$$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' >/dev/null 2>&1; then \
    py="$$candidate"; break; \
  fi; \
done; \
if [ -z "$$py" ]; then \
  py=python3; \
  "$$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "error: Python 3.11+ is needed; 3.13 is recommended (see README.md)." >&2; exit 1; }; \
  echo "WARNING: no Python 3.13 found; creating $(VENV) with $$("$$py" -V 2>&1)." >&2; \
  echo "WARNING: the code and tests run, but 'sam build' (make build/deploy, the template tests)" >&2; \
  echo "WARNING: needs python3.13: install it (e.g. 'pyenv install 3.13.0'), then 'make distclean test'." >&2; \
fi; \
echo "Creating $(VENV) with $$("$$py" -V 2>&1) ($$(command -v "$$py" || echo "$$py"))"; \
"$$py" -m venv $(VENV)
endef

.PHONY: help install run order refund activate remind test fuzz lint build deploy deploy-check waf-deploy bench openapi openapi-check lock clean distclean \
        browser-deps

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-14s %s\n", $$1, $$2}' \
		$(MAKEFILE_LIST)

# ---------------------------------------------------------------- environment
install: $(STAMP) ## Create .venv (Python 3.13) and install requirements-dev.lock

$(VENV)/bin/python:
	@$(CREATE_VENV)

# The lock is resolved on Python 3.13 (some pins need >= 3.12); a 3.11/3.12 fallback venv gets
# requirements-dev.in (the runtime pins that matter are there) resolved for its own version.
$(STAMP): $(LOCK_FILE) requirements-dev.in | $(VENV)/bin/python
	@if $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))'; then \
	  requirements=$(LOCK_FILE); \
	else \
	  requirements=requirements-dev.in; \
	  echo "WARNING: $(LOCK_FILE) is for Python 3.13; installing requirements-dev.in instead." >&2; \
	fi; \
	echo "$(PY) -m pip install -r $$requirements"; \
	$(PY) -m pip install --disable-pip-version-check --progress-bar off -r "$$requirements"
	@touch $@

# Chromium for the browser tests: installed when root (CI), else the tests skip themselves.
browser-deps:
	@if command -v chromium >/dev/null 2>&1; then \
	  echo "chromium: $$(command -v chromium)"; \
	elif [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing chromium (Debian package) for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
	  echo "NOTE: chromium is not installed, so the browser tests will be skipped."; \
	  echo "      Install it with: sudo apt-get install -y chromium"; \
	fi

# ---------------------------------------------------------------- develop
run: export PYTHONPATH := layers/shared:.
run: install ## Start the local stack at http://127.0.0.1:3000 (PORT=...): API, web, local AWS, demo data, the FastSpring stand-in on PORT+1
	python -m local.run

order: export PYTHONPATH := layers/shared:.
order: install ## Send a signed FastSpring order to the running portal: EMAIL=... SKUS="T-ENT-10 S1Y-T-ENT-10" [SERIAL=P65]
	@test -n "$(EMAIL)" -a -n "$(SKUS)" || { echo 'usage: make order EMAIL=you@example.com SKUS="T-ENT-10 S1Y-T-ENT-10" [SERIAL=P65]' >&2; exit 2; }
	python -m local.fastspring order --email "$(EMAIL)" $(foreach sku,$(SKUS),--sku $(sku)) $(if $(SERIAL),--serial $(SERIAL))

refund: export PYTHONPATH := layers/shared:.
refund: install ## Send a signed FastSpring refund of an order to the running portal: REFERENCE=... [SKUS="S1Y-T-ENT-10"]
	@test -n "$(REFERENCE)" || { echo 'usage: make refund REFERENCE=JWT261127-1234-56789 [SKUS="S1Y-T-ENT-10"]' >&2; exit 2; }
	python -m local.fastspring refund --reference "$(REFERENCE)" $(foreach sku,$(SKUS),--sku $(sku))

activate: export PYTHONPATH := layers/shared:.
activate: install ## Play the product against the running portal: activate, refresh, verify: COMPUTER=SRV-TEST-01 [KEY=...] [PRODUCT=TSplus]
	@test -n "$(COMPUTER)" || { echo 'usage: make activate COMPUTER=SRV-TEST-01 [KEY=ABCD-...] [PRODUCT=TSplus]' >&2; exit 2; }
	python -m local.product activate --computer "$(COMPUTER)" $(if $(KEY),--key "$(KEY)") $(if $(PRODUCT),--product "$(PRODUCT)")

remind: export PYTHONPATH := layers/shared:.
remind: install ## Run the support reminder job against the running portal for a day: DATE=YYYY-MM-DD (default today)
	python -m local.remind $(if $(DATE),--date "$(DATE)")

test: export PYTHONPATH := layers/shared:.
test: export POWERTOOLS_METRICS_DISABLED := true
test: install browser-deps lint ## Lint, then every test (unit, integration, template, browser), then the OpenAPI check
	pytest -q $(XDIST) tests --ignore=$(FUZZ_TESTS) $(PYTEST_ARGS)
	@# schemathesis makes one test item per operation only outside pytest-xdist: run it on its own
	pytest -q $(FUZZ_TESTS) $(PYTEST_ARGS)
	python -m local.openapi --check

# The schemathesis run of tests/integration/test_fuzz_openapi.py, larger than in `make test`.
FUZZ_EXAMPLES ?= 500
fuzz: export PYTHONPATH := layers/shared:.
fuzz: export POWERTOOLS_METRICS_DISABLED := true
fuzz: export PORTAL_FUZZ_EXAMPLES := $(FUZZ_EXAMPLES)
fuzz: install ## Fuzz every API operation with every schemathesis check, FUZZ_EXAMPLES (500) per operation; figures in test-results/
	pytest -q $(FUZZ_TESTS) $(PYTEST_ARGS)
	@cat test-results/fuzz-openapi.json

lint: install ## ruff (lint + format check) and mypy
	ruff check .
	ruff format --check .
	mypy layers/shared/portal local admin bench product_sdk $(wildcard functions/*/app.py)

openapi: export PYTHONPATH := layers/shared:.
openapi: install ## Regenerate docs/openapi.json from the handlers
	python -m local.openapi

openapi-check: export PYTHONPATH := layers/shared:.
openapi-check: install ## Fail when docs/openapi.json is stale
	python -m local.openapi --check

# Extra `python -m bench` arguments, e.g. `make bench BENCH_ARGS="--skip cold,load"`.
BENCH_ARGS ?=
bench: export PYTHONPATH := layers/shared:.
bench: install ## Every bar of PERFORMANCE.md, then one table: target, measured, pass/MISS (sections cold imports counted warm package page load); BENCH_ARGS="--skip cold,load"
	python -m bench $(BENCH_ARGS)

.PHONY: load
LOAD_ARGS ?=
load: export PYTHONPATH := layers/shared:.
load: install ## The load run (bench/load_run.py): 50 customers, FastSpring batches, the product, 60 s, against a stack of its own; LOAD_ARGS="--seconds 30"
	python bench/load_run.py $(LOAD_ARGS)

# ---------------------------------------------------------------- ship
build: install ## sam validate --lint, then sam build (no Docker; needs python3.13)
	@python3.13 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null || { \
	  echo "error: sam build needs python3.13 on PATH, and $(VENV) is $$($(PY) -V 2>&1)." >&2; \
	  echo "       Install Python 3.13 (e.g. 'pyenv install 3.13.0'), then 'make distclean build'." >&2; \
	  exit 1; }
	sam validate --lint
	sam build --cached --parallel

ifneq ($(filter deploy deploy-check waf-deploy,$(MAKECMDGOALS)),)
ifeq ($(filter $(STAGE),dev prod),)
$(error STAGE must be dev or prod, not '$(STAGE)')
endif
endif

# admin/deploy.py reads the stack's outputs (samconfig.toml names the stack and its region).
deploy: build ## Deploy to STAGE=dev|prod (samconfig.toml), upload web/, print the portal and webhook URLs
	sam deploy --config-env $(STAGE) --no-fail-on-empty-changeset
	python -m admin.deploy publish $(STAGE)

deploy-check: build ## Show what `make deploy STAGE=dev|prod` would change (a change set, not executed)
	sam deploy --config-env $(STAGE) --no-execute-changeset --no-fail-on-empty-changeset

waf-deploy: install ## Deploy waf.yaml (the web ACL) to us-east-1 for STAGE=dev|prod; prints its WebAclArn
	cfn-lint waf.yaml
	sam deploy --config-env $(STAGE)-waf --no-fail-on-empty-changeset
	python -m admin.deploy show $(STAGE)-waf

# ---------------------------------------------------------------- maintain
lock: | $(VENV)/bin/python ## Re-resolve requirements-dev.in into requirements-dev.lock
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp" "$(LOCK_FILE).new"' EXIT; \
	$(PY) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install --disable-pip-version-check -q -r requirements-dev.in; \
	{ echo "# Generated by 'make lock' from requirements-dev.in (pip freeze, Python $$("$$tmp/venv/bin/python" -c 'import platform; print(platform.python_version())')). Do not edit."; \
	  "$$tmp/venv/bin/python" -m pip freeze --exclude-editable --exclude customer-portal; \
	} > "$(LOCK_FILE).new"; \
	mv "$(LOCK_FILE).new" "$(LOCK_FILE)"; \
	echo "Wrote $(LOCK_FILE); run 'make install' to apply it."

clean: ## Remove build output and caches (keeps .venv)
	rm -rf .aws-sam .mypy_cache .ruff_cache .pytest_cache test-results .build
	find . \( -path ./.venv -o -path ./node_modules \) -prune -o -type d -name __pycache__ -prune \
		-exec rm -rf {} +

distclean: clean ## clean, and remove .venv too
	rm -rf $(VENV)
