# The two commands of the README:
#   make run    the main job: check, regenerate, gate compatibility, the demo, the conformance
#               replays, the real-world reports of the pinned Codex and ACP releases
#   make test   every check and test (what CI runs)
# Both create or refresh what they need themselves: the virtual environment (.venv), node_modules,
# and the pinned real releases (fetched from npm into ~/.cache/threadloom/releases on first use).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TL := $(BIN)/threadloom
STAMP := $(VENV)/.installed

NODE_STAMP := bindings/typescript/node_modules/.installed
TS_RUNTIME := bindings/runtime/typescript
TS_RUNTIME_STAMP := $(TS_RUNTIME)/node_modules/.installed

.PHONY: run test lint typecheck pytest check generate bench clean browser

# Every shipped piece is its own distribution (see pyproject.toml); all are installed editable in
# compat mode, a plain path entry per folder that mypy, pyright and IDEs follow like any package.
DISTRIBUTIONS := bindings/runtime/python bindings/python generator server conformance
$(STAMP): pyproject.toml $(addsuffix /pyproject.toml,$(DISTRIBUTIONS))
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --config-settings editable_mode=compat \
	  -e . $(addprefix -e ,$(DISTRIBUTIONS))
	touch $(STAMP)

# The TypeScript runtime (@threadloom/runtime) is its own npm package; the generated package links
# it (file:../runtime/typescript), so it is installed and built first.
$(TS_RUNTIME_STAMP): $(TS_RUNTIME)/package.json $(TS_RUNTIME)/package-lock.json
	cd $(TS_RUNTIME) && npm ci --no-audit --no-fund
	touch $(TS_RUNTIME_STAMP)

$(NODE_STAMP): bindings/typescript/package.json bindings/typescript/package-lock.json $(TS_RUNTIME_STAMP)
	cd $(TS_RUNTIME) && npm run build
	cd bindings/typescript && npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

# The browser test drives Debian's chromium (never a downloaded browser); install it when missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else echo "chromium is missing: install Debian's chromium package (the browser test needs it)"; exit 1; fi; }

run: $(STAMP)
	$(TL) check
	$(TL) generate
	$(TL) diff protocol/v1 protocol/v2 --audience old-clients --fail-on ERR > /dev/null
	$(BIN)/python -m threadloom_server.demo
	$(TL) replay --server '$(TL) serve --store :memory: --workspace $${tmpdir}' conformance/transcripts
	$(BIN)/python -m threadloom_conformance.releases report codex
	$(BIN)/python -m threadloom_conformance.releases_acp report 0.4.5 2.4.0
	$(BIN)/python -m threadloom_conformance.codex_corpus report

check: $(STAMP)
	$(TL) check

generate: $(STAMP)
	$(TL) generate

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy -p threadloom -p threadloom_runtime -p threadloom_protocol -p threadloom_server -p threadloom_conformance -p tests -p bench

pytest: $(STAMP)
	$(BIN)/pytest -q

test: $(STAMP) $(NODE_STAMP) browser
	$(TL) check
	$(TL) generate --check
	$(MAKE) lint typecheck
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
