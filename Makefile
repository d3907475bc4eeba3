# peercoach: `make run` and `make test` set everything up themselves (scripts/bootstrap.sh).
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PY := .venv/bin/python
RUFF := .venv/bin/ruff
# Extra arguments for pytest, e.g. make test PYTEST_ARGS="-m 'not e2e' -x".
PYTEST_ARGS ?=
BOOTSTRAP := bash scripts/bootstrap.sh
# Also the Debian packages: installed when root, otherwise only listed.
BOOTSTRAP_SYSTEM := bash scripts/bootstrap.sh --system
VAR_DIR := $(or $(PEERCOACH_VAR_DIR),var)

# Production-like settings for `make check`; nothing connects to these services. EMAIL_HOST
# is there because Django flags the console mail backend (mail.E001) in production.
CHECK_ENV := DEBUG=false ALLOWED_HOSTS=peercoach.example.org \
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
	REDIS_URL=redis://127.0.0.1:6379/0 EMAIL_HOST=smtp.example.org

.PHONY: help run test lint fmt check bench lock

help:
	@echo "make run    set up, migrate, load demo data, serve on http://127.0.0.1:8000"
	@echo "make test   set up and run the tests (PYTEST_ARGS=... passes arguments to pytest)"
	@echo "make lint   ruff check, ruff format --check and lint-imports (the layers)"
	@echo "make fmt    ruff check --fix and ruff format"
	@echo "make check  missing migrations, and manage.py check --deploy with production settings"
	@echo "make bench  run every bench/*.py"
	@echo "make lock   rebuild requirements.lock from pyproject.toml in a throwaway venv"

run:
	@$(BOOTSTRAP_SYSTEM)
	@mkdir -p "$(VAR_DIR)"
	$(PY) manage.py migrate --noinput --verbosity 0
	$(PY) manage.py demo
	@echo
	@echo "peercoach is at http://127.0.0.1:8000  (operator admin: http://127.0.0.1:8000/admin/; Ctrl-C stops)"
	$(PY) manage.py runserver 127.0.0.1:8000

# pytest exits 5 when it collected no tests: that is a failure here, not a pass.
test:
	@$(BOOTSTRAP_SYSTEM)
	@mkdir -p "$(VAR_DIR)"
	@rc=0; $(PY) -m pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	exit $$rc

lint:
	@$(BOOTSTRAP)
	@rc=0; $(RUFF) check . || rc=1; $(RUFF) format --check . || rc=1; \
	.venv/bin/lint-imports --no-cache || rc=1; exit $$rc

fmt:
	@$(BOOTSTRAP)
	@rc=0; $(RUFF) check --fix . || rc=1; $(RUFF) format .; exit $$rc

# makemigrations runs against a throwaway SQLite file, not the development database.
check:
	@$(BOOTSTRAP)
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	echo "$(PY) manage.py makemigrations --check --dry-run"; \
	env -u DATABASE_URL -u REDIS_URL PEERCOACH_VAR_DIR="$$tmp" \
		$(PY) manage.py makemigrations --check --dry-run
	@secret=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(48))'); \
	echo "$(PY) manage.py check --deploy --fail-level WARNING  (production settings)"; \
	SECRET_KEY="$$secret" $(CHECK_ENV) $(PY) manage.py check --deploy --fail-level WARNING

# Each benchmark prints its figures and a final RESULT line; files starting with _ are helpers.
bench:
	@$(BOOTSTRAP)
	@mkdir -p "$(VAR_DIR)"
	@found=0; for f in bench/*.py; do \
		[ -f "$$f" ] || continue; \
		case "$${f##*/}" in _*|conftest.py) continue ;; esac; \
		found=1; echo "== $$f"; \
		PYTHONPATH="$(CURDIR)$${PYTHONPATH:+:$$PYTHONPATH}" $(PY) "$$f"; \
	done; \
	[ $$found -eq 1 ] || echo "make bench: no benchmarks in bench/ yet"

# Resolves pyproject.toml's dependencies and [dev] afresh, so it may move pins forward.
lock:
	@python=$$(bash scripts/bootstrap.sh --print-python); \
	tmp=$$(mktemp -d); \
	leftovers=$$(for d in build peercoach.egg-info; do [ -e "$$d" ] || echo "$$d"; done); \
	trap 'rm -rf "$$tmp" $$leftovers' EXIT; \
	echo "make lock: resolving '.[dev]' with $$python in a throwaway venv"; \
	"$$python" -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install -qq --disable-pip-version-check --upgrade pip; \
	"$$tmp/venv/bin/python" -m pip install -qq --disable-pip-version-check '.[dev]'; \
	{ echo "# Pinned install set for peercoach: pyproject.toml's dependencies plus the [dev] extra."; \
	  echo "# Regenerate with \`make lock\`; do not edit by hand."; \
	  "$$tmp/venv/bin/python" -m pip freeze --exclude-editable --exclude peercoach \
	    | grep -viE '^peercoach([ =@]|$$)'; \
	} > "$$tmp/requirements.lock"; \
	mv "$$tmp/requirements.lock" requirements.lock; \
	echo "make lock: wrote requirements.lock ($$(grep -c '==' requirements.lock) pins); the next bootstrap installs it"
