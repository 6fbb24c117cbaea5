# Scene Picker developer tasks. `make test` is the one command that sets up and runs the whole suite.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
SYSTEM_PYTHON ?= /usr/bin/python3
BUILD := build
VERSION := $(shell sed -n 's/^version=//p' metadata.txt)
PROFILE ?= default
QGIS_PLUGINS_DIR ?= $(HOME)/.local/share/QGIS/QGIS3/profiles/$(PROFILE)/python/plugins
PYTEST_ARGS ?=

export QT_QPA_PLATFORM := offscreen
export PROJ_DATA := /usr/share/proj
# QGIS writes into XDG folders at start-up (before conftest.py runs): keep it inside build/.
TEST_HOME := $(CURDIR)/$(BUILD)/test-home
export XDG_CACHE_HOME := $(TEST_HOME)/cache
export XDG_DATA_HOME := $(TEST_HOME)/data
export XDG_CONFIG_HOME := $(TEST_HOME)/config

# Files that make up the installed plugin (everything else is development material).
RUNTIME := __init__.py __main__.py __version__.py plugin.py metadata.txt LICENSE README.md \
	core providers catalogs ui cli icons i18n

.PHONY: test test-all test-trixie test-sid stac-venv system-deps venv lint format package deploy i18n \
	translations clean demo gui-smoke

test: system-deps venv stac-venv lint
	mkdir -p $(XDG_CACHE_HOME) $(XDG_DATA_HOME) $(XDG_CONFIG_HOME)
	# a fresh QGIS profile each run: pytest-qgis keeps it in <rootdir>/.qgis-settings, and what one run's
	# tests saved there (settings, auth database) must not reach the next run
	rm -rf tests/.qgis-settings
	# --rootdir=tests: the checkout folder (a package: it has __init__.py) may have any name, e.g. ci-clone
	$(PY) -m pytest --rootdir=tests $(PYTEST_ARGS)

# The same `make test` inside a Debian root of another release, built with debootstrap and cached in
# /var/tmp/scene-picker-roots (dev/debian-root.sh; needs root): trixie = QGIS 3.40 LTR, Python 3.13;
# sid = the newest packaged QGIS. `make test-all` runs the host's suite, then one per QGIS_SUITES entry.
QGIS_SUITES ?= trixie
test-trixie test-sid:
	bash dev/debian-root.sh $(@:test-%=%) test $(if $(PYTEST_ARGS),PYTEST_ARGS="$(PYTEST_ARGS)")

test-all: test $(addprefix test-,$(QGIS_SUITES))

system-deps:
	bash dev/install-system-deps.sh

$(VENV)/.stamp: dev/requirements-test.txt
	[ -x $(PY) ] || $(SYSTEM_PYTHON) -m venv --system-site-packages $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r dev/requirements-test.txt
	touch $@

venv: $(VENV)/.stamp

# The offline demo: a synthetic STAC catalog served on loopback, two bands fetched out of a remote zip by
# HTTP range requests, a QGIS map rendered to build/demo/out/demo-map.png (demo/run_demo.py).
demo: system-deps venv
	mkdir -p $(XDG_CACHE_HOME) $(XDG_DATA_HOME) $(XDG_CONFIG_HOME)
	$(PY) demo/run_demo.py

# Scene Picker in the real QGIS desktop under Xvfb (display GUI_SMOKE_DISPLAY, default :91): a throw-away
# profile with the plugin from `make deploy`, the demo catalog served on loopback, the dock driven through
# search, download by pattern, stream and RGB; screenshots and result.json in build/gui-smoke/.
GUI_SMOKE_DISPLAY ?= :91
GUI_SMOKE_PACKAGES := qgis xvfb openbox imagemagick x11-utils python3-shapely python3-pyproj python3-keyring
gui-smoke: venv
	bash dev/install-system-deps.sh $(GUI_SMOKE_PACKAGES)
	GUI_SMOKE_DISPLAY=$(GUI_SMOKE_DISPLAY) PYTHON=$(CURDIR)/$(PY) dev/gui_smoke/run.sh

# The real STAC API the tests run (stac-fastapi-pgstac), in its own venv: tests/support/stac_server.py.
STAC_VENV := .venv-stac
$(STAC_VENV)/.stamp: dev/requirements-stac.txt
	[ -x $(STAC_VENV)/bin/python ] || $(SYSTEM_PYTHON) -m venv $(STAC_VENV)
	$(STAC_VENV)/bin/python -m pip install -q --upgrade pip
	$(STAC_VENV)/bin/python -m pip install -q -r dev/requirements-stac.txt
	touch $@

stac-venv: $(STAC_VENV)/.stamp

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

i18n: system-deps
	pylupdate5 -noobsolete $$(find plugin.py ui -name '*.py' | sort) -ts i18n/scene_picker_fr.ts
	$(SYSTEM_PYTHON) dev/fill_translations.py i18n/scene_picker_fr.ts dev/translations_fr.json
	$(MAKE) translations

# Compile the shipped .ts files into .qm (no source scan: the .ts files are committed).
translations: system-deps
	for ts in i18n/*.ts; do lrelease -silent "$$ts" -qm "$${ts%.ts}.qm"; done

package: translations
	rm -rf $(BUILD)/package && mkdir -p $(BUILD)/package/scene_picker dist
	cp -r $(RUNTIME) $(BUILD)/package/scene_picker/
	find $(BUILD)/package -name '__pycache__' -prune -exec rm -rf {} + ; \
	find $(BUILD)/package \( -name '*.pyc' -o -name '*.ts' \) -delete
	rm -f dist/scene_picker-$(VERSION).zip
	cd $(BUILD)/package && $(SYSTEM_PYTHON) -m zipfile -c ../../dist/scene_picker-$(VERSION).zip scene_picker
	@echo "dist/scene_picker-$(VERSION).zip"

deploy: package
	mkdir -p "$(QGIS_PLUGINS_DIR)"
	rm -rf "$(QGIS_PLUGINS_DIR)/scene_picker"
	cd "$(QGIS_PLUGINS_DIR)" && $(SYSTEM_PYTHON) -m zipfile -e "$(CURDIR)/dist/scene_picker-$(VERSION).zip" .
	@echo "deployed to $(QGIS_PLUGINS_DIR)/scene_picker"

clean:
	rm -rf $(BUILD) dist .pytest_cache .ruff_cache
