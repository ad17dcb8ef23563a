# Two commands on a fresh machine: `make demo` and `make test`. Both set everything up first and are idempotent.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: demo test setup browser redis clean messages

demo: setup
	$(PY) agent.py demo

test: setup
	$(PY) -m pytest

setup: $(INSTALLED) browser redis
	$(PY) -m nlp.sentiment ensure
	$(VENV)/bin/pybabel -q compile -d i18n/locale -D shopsentinel

# After adding or changing an operator-facing string: refresh the catalogue, then translate its new entries.
messages: $(INSTALLED)
	$(VENV)/bin/pybabel -q extract -F babel.cfg --no-location --sort-output --project ShopSentinel --version 0.1.0 --copyright-holder "ShopSentinel contributors" -o i18n/locale/shopsentinel.pot .
	$(VENV)/bin/pybabel -q update -i i18n/locale/shopsentinel.pot -d i18n/locale -D shopsentinel --no-fuzzy-matching --ignore-obsolete

# Reinstall only when the dependencies change.
$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

browser: $(INSTALLED)
	@sh scripts/ensure-browser.sh $(PY)

# Only the scale-out crawl needs Redis: without it setup goes on, and the tests that need it say why they skip.
redis:
	-@sh scripts/ensure-redis.sh

clean:
	rm -rf $(VENV) var .pytest_cache
