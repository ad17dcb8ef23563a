# Two commands on a fresh machine: `make demo` and `make test`. Both set everything up first and are idempotent.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: demo test setup browser clean

demo: setup
	$(PY) agent.py demo

test: setup
	$(PY) -m pytest

setup: $(INSTALLED) browser
	$(PY) -m nlp.sentiment ensure

# Reinstall only when the dependencies change.
$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

browser: $(INSTALLED)
	@sh scripts/ensure-browser.sh $(PY)

clean:
	rm -rf $(VENV) var .pytest_cache
