# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The npm `soap` package, a third independent SOAP client for the e2e tests (from its lockfile).
NODE_CLIENT := tests/e2e/soap_client
NODE_STAMP := $(NODE_CLIENT)/node_modules/.installed
# AsyncAPI's own parser, validating /asyncapi.json in tests/contract (from its lockfile).
ASYNCAPI_VALIDATOR := tests/contract/asyncapi_validator
ASYNCAPI_STAMP := $(ASYNCAPI_VALIDATOR)/node_modules/.installed
# PHP's SoapClient, Perl's SOAP::Lite, gSOAP (C++) and JAX-WS (Java): four more SOAP clients for
# the e2e tests (issue 12), from Debian's packages (docs/decisions/120-foreign-soap-clients-in-make-test.md).
INTEROP_PACKAGES := php-cli php-soap libsoap-lite-perl gsoap libgsoap-dev g++ pkg-config \
	libssl-dev zlib1g-dev jaxws default-jdk-headless
INTEROP_STAMP := $(VENV)/.interop-installed
INTEROP_PROBE := php -r 'exit(class_exists("SoapClient") ? 0 : 1);' >/dev/null 2>&1 \
	&& perl -MSOAP::Lite -MJSON::PP -MDigest::SHA -MURI -e 1 >/dev/null 2>&1 \
	&& command -v wsdl2h soapcpp2 g++ >/dev/null && pkg-config --exists gsoapssl++ \
	&& command -v wsimport javac >/dev/null && test -f /usr/share/java/jaxws-rt.jar

.PHONY: run test lint unit integration e2e wsdl clean node-client interop-deps bench

$(STAMP): pyproject.toml sandbox-erp/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ./sandbox-erp -e '.[test]'
	touch $(STAMP)

$(NODE_STAMP): $(NODE_CLIENT)/package.json $(NODE_CLIENT)/package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 20 (apt-get install nodejs npm)"; exit 1; }
	cd $(NODE_CLIENT) && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

node-client: $(NODE_STAMP)

$(ASYNCAPI_STAMP): $(ASYNCAPI_VALIDATOR)/package.json $(ASYNCAPI_VALIDATOR)/package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 20 (apt-get install nodejs npm)"; exit 1; }
	cd $(ASYNCAPI_VALIDATOR) && npm ci --no-audit --no-fund --loglevel=error
	touch $(ASYNCAPI_STAMP)

# Installs the packages only when a client is missing; apt-get update only if the install fails.
$(INTEROP_STAMP): | $(STAMP)
	@if $(INTEROP_PROBE); then :; \
	elif [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
		echo "A SOAP client toolkit (PHP SoapClient, Perl SOAP::Lite, gSOAP, JAX-WS) is missing: as root, run"; \
		echo "  apt-get install -y --no-install-recommends $(INTEROP_PACKAGES)"; exit 1; \
	else \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q --no-install-recommends $(INTEROP_PACKAGES) \
		|| { apt-get update -q && apt-get install -y -q --no-install-recommends $(INTEROP_PACKAGES); } \
		|| exit 1; \
		$(INTEROP_PROBE) || { echo "installed, but the SOAP clients still do not load"; exit 1; }; \
	fi
	touch $(INTEROP_STAMP)

interop-deps: $(INTEROP_STAMP)

run: $(STAMP)
	$(BIN)/gateway demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Test files are spread over TEST_WORKERS processes (pytest-xdist, decision 174), each with its
# own sandbox and databases; a file's tests stay together in one of them.
TEST_WORKERS ?= 2

test: lint $(NODE_STAMP) $(ASYNCAPI_STAMP) $(INTEROP_STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest tests/integration

e2e: $(STAMP) $(NODE_STAMP) $(INTEROP_STAMP)
	$(BIN)/python -m pytest tests/e2e

# Sandbox, gateway (gunicorn) and load generators in their own pinned processes, against issue
# 13's targets (a few minutes; not part of `make test`): prints one table and writes
# bench/results.json. Instruction counts under callgrind: $(BIN)/python -m bench --ir
bench: $(STAMP)
	$(BIN)/python -m bench

# Regenerate both contracts from their spyne services (a test fails when either drifts):
# wsdl/inventory.wsdl (the sandbox's legacy inventory) and wsdl/gateway.wsdl (our SOAP endpoint).
# Each is written to a temporary file first: a failing generator leaves the committed one whole.
wsdl: $(STAMP)
	$(BIN)/python -m sandbox wsdl > wsdl/inventory.wsdl.new && mv wsdl/inventory.wsdl.new wsdl/inventory.wsdl
	$(BIN)/python -m gateway.soap > wsdl/gateway.wsdl.new && mv wsdl/gateway.wsdl.new wsdl/gateway.wsdl

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache $(NODE_CLIENT)/node_modules \
		$(ASYNCAPI_VALIDATOR)/node_modules
