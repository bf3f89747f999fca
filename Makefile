# mineaction: `make demo` and `make test` do all the set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
DEMO_DB ?= demo/mineaction.gpkg
# `make demo` ends by serving the Observer on the demo store (until Ctrl-C); SERVE=no builds only.
SERVE  ?= yes
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Browser libraries (MapLibre GL JS, axe-core) from npm, served by the web interface itself.
JS     := node_modules/.installed-$(shell cat package.json package-lock.json | cksum | cut -d' ' -f1)

.PHONY: demo test lint typecheck system-deps venv js clean messages

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

$(JS): package.json package-lock.json
	command -v npm >/dev/null 2>&1 || bash scripts/system-deps.sh
	npm ci --no-audit --no-fund --loglevel=error
	rm -f node_modules/.installed-*
	touch $(JS)

js: $(JS)

system-deps:
	bash scripts/system-deps.sh

demo: $(STAMP) $(JS)
	SERVE=$(SERVE) HOST=$(HOST) PORT=$(PORT) bash scripts/demo.sh $(DEMO_DB)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) system-deps $(JS) lint typecheck
	$(BIN)/python -m pytest -n 2 --dist loadgroup

# The web interface's strings: extract them, then update every catalogue (then translate).
messages: $(STAMP)
	mkdir -p build
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location -o build/mineaction-web.pot .
	for l in az hy ka ru; do po=src/mineaction/web/locale/$$l/LC_MESSAGES/mineaction-web.po; \
	  if [ -f $$po ]; then $(BIN)/pybabel update -D mineaction-web -i build/mineaction-web.pot \
	  -d src/mineaction/web/locale -l $$l --no-fuzzy-matching -w 100; \
	  else $(BIN)/pybabel init -D mineaction-web -i build/mineaction-web.pot \
	  -d src/mineaction/web/locale -l $$l -w 100; fi; done

clean:
	rm -rf $(VENV) node_modules demo .pytest_cache .mypy_cache .ruff_cache
