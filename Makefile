# watch — the two commands of the README, plus helpers. Each target creates .venv when needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt setup.py | cksum | cut -d' ' -f1)

# What the end-to-end tests start for real: Debian's Chromium (rendering, the HTML report) and
# redis-server (several workers, one crawl). Installed when missing and the user is root; anywhere
# else the tests that need them fail and say what is missing.
CHROMIUM := /usr/lib/chromium/chromium
SYSTEM_PACKAGES := $(if $(wildcard $(CHROMIUM)),,chromium) $(if $(shell command -v redis-server),,redis-server)

.PHONY: demo test test-fast bench clean system

$(STAMP): requirements.txt setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $@

## make demo: set up, serve the offline demo web on 127.0.0.1, crawl it with the seed's equation
demo: $(STAMP)
	$(PY) -m demo

## make system: Debian's chromium and redis-server, when missing (as root)
system:
ifneq ($(strip $(SYSTEM_PACKAGES)),)
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian packages:$(SYSTEM_PACKAGES)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null; \
	else \
		echo "Missing Debian packages:$(SYSTEM_PACKAGES) (not root, or no apt-get): the tests that need them will fail"; \
	fi
endif

## make test: set up and run the whole test suite (slow end-to-end tests included)
test: $(STAMP) system
	$(PY) -m pytest

## make test-fast: the suite without the slow end-to-end tests
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow"

## make bench: the benchmarks, each against its baseline in the same run
bench: $(STAMP)
	$(PY) -m bench.page
	$(PY) -m bench.crawl
	$(PY) -m bench.match
	$(PY) -m bench.dedup
	$(PY) -m bench.render
	$(PY) -m bench.tokenize
	$(PY) -m bench.fts5
	$(PY) -m bench.scale

clean:
	rm -rf $(VENV) results build dist *.egg-info
