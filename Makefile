# watch — the two commands of the README, plus helpers. Each target creates .venv when needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt setup.py | cksum | cut -d' ' -f1)

.PHONY: demo test test-fast bench clean

$(STAMP): requirements.txt setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $@

## make demo: set up, serve the offline demo web on 127.0.0.1, crawl it with the seed's equation
demo: $(STAMP)
	$(PY) -m demo

## make test: set up and run the whole test suite (slow end-to-end tests included)
test: $(STAMP)
	$(PY) -m pytest

## make test-fast: the suite without the slow end-to-end tests
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow"

## make bench: the benchmarks, each against its baseline in the same run
bench: $(STAMP)
	$(PY) -m bench.crawl
	$(PY) -m bench.match
	$(PY) -m bench.dedup

clean:
	rm -rf $(VENV) results build dist *.egg-info
