# Genre Lab in two commands:
#   make run    install what is missing, then start the app (it opens on the built-in demo dataset)
#   make test   install what is missing (and Debian's chromium for the browser tests), run the tests
# Both create .venv when it is missing and install requirements.lock (every package pinned) and
# the project itself (editable: `core` imports from this checkout, `genre-lab` is on .venv's PATH);
# they do it again only after requirements.lock or pyproject.toml changed.
#
# Variables: PYTHON (the interpreter that creates .venv, 3.11 or later), PIP_ARGS (extra pip
# options, e.g. --extra-index-url https://download.pytorch.org/whl/cpu where the package index
# has only torch's CUDA build), STREAMLIT_ARGS (e.g. --server.port 8600), PYTEST_ADDOPTS.

PYTHON ?= python3
PIP_ARGS ?=
STREAMLIT_ARGS ?=
VENV := .venv
INSTALLED := $(VENV)/.installed

.PHONY: run test chromium

run: $(INSTALLED)
	$(VENV)/bin/streamlit run app.py $(STREAMLIT_ARGS)

# CI=1: the browser tests fail instead of skipping when chromium or Playwright is missing.
test: $(INSTALLED) chromium
	CI=1 $(VENV)/bin/python -m pytest

$(INSTALLED): requirements.lock pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q $(PIP_ARGS) -r requirements.lock
	$(VENV)/bin/pip install -q $(PIP_ARGS) --no-deps -e .
	touch $@

# Debian's chromium, which Playwright drives (no browser download).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO="sudo"; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }
