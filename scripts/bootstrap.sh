#!/usr/bin/env bash
# Set up peercoach for development, tests and CI; safe to run any number of times.
#
#   scripts/bootstrap.sh                 .venv on Python 3.12 with requirements.lock installed
#   scripts/bootstrap.sh --system        also the Debian packages (installed when root,
#                                        otherwise listed); same as PEERCOACH_SYSTEM_DEPS=1
#   scripts/bootstrap.sh --print-python  print the Python 3.12 interpreter found, and stop
#
# PEERCOACH_PYTHON=/path/to/python3.12 overrides the interpreter search.
# Also compiles the translations (locale/*/LC_MESSAGES/*.po into .mo) when a .po is newer.
# Prints nothing when there is nothing to do.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=.venv
LOCK=requirements.lock
STAMP=$VENV/.requirements.lock.sha256
# WeasyPrint needs Pango/HarfBuzz, the browser tests drive Debian's Chromium, pdftoppm
# (poppler-utils) turns PDFs into images for checks, gettext compiles translations,
# postgresql-client gives pg_dump/pg_restore to `manage.py backup` and `restore`.
SYSTEM_PACKAGES=(
    chromium libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libffi8
    fonts-dejavu-core poppler-utils gettext postgresql-client xmlsec1
)

say() { printf 'bootstrap: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

system_deps=0
print_python=0
case "${PEERCOACH_SYSTEM_DEPS:-0}" in 1 | true | yes | on) system_deps=1 ;; esac
for arg in "$@"; do
    case "$arg" in
        --system) system_deps=1 ;;
        --print-python) print_python=1 ;;
        -h | --help)
            sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
            exit 0
            ;;
        *) die "unknown option '$arg' (try --help)" ;;
    esac
done

is_python312() {
    [ -n "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' >/dev/null 2>&1
}

# Print the real interpreter behind a candidate (not a pyenv shim that depends on the cwd).
real_python() { "$1" -c 'import sys; print(sys.executable)'; }

# A pyenv shim can exist and still fail (no 3.12 for the selected version), so every
# candidate is run before it is trusted.
find_python312() {
    local candidate root
    if [ -n "${PEERCOACH_PYTHON:-}" ]; then
        is_python312 "$PEERCOACH_PYTHON" || die "PEERCOACH_PYTHON=$PEERCOACH_PYTHON is not a working Python 3.12"
        real_python "$PEERCOACH_PYTHON"
        return
    fi
    candidate=$(command -v python3.12 2>/dev/null || true)
    if is_python312 "$candidate"; then
        real_python "$candidate"
        return
    fi
    if command -v pyenv >/dev/null 2>&1; then
        candidate=$(pyenv which python3.12 2>/dev/null || true)
        if is_python312 "$candidate"; then
            real_python "$candidate"
            return
        fi
        root=$(pyenv root 2>/dev/null || true)
    fi
    # pyenv may be installed but not on PATH (non-login shells, CI).
    for root in ${root:+"$root"} "${PYENV_ROOT:-$HOME/.pyenv}"; do
        while IFS= read -r candidate; do
            if is_python312 "$candidate"; then
                real_python "$candidate"
                return
            fi
        done < <(ls -1d "$root"/versions/3.12*/bin/python3.12 2>/dev/null | sort -rV)
    done
    for candidate in /usr/local/bin/python3.12 /usr/bin/python3.12 "$(command -v python3 2>/dev/null || true)"; do
        if is_python312 "$candidate"; then
            real_python "$candidate"
            return
        fi
    done
    die "peercoach needs Python 3.12; install it (e.g. pyenv install 3.12) and retry"
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    else
        shasum -a 256 "$1" | cut -d' ' -f1
    fi
}

ensure_system_packages() {
    local missing=() pkg installed log
    if ! command -v dpkg-query >/dev/null 2>&1; then
        say "not a Debian system: install Chromium, Pango, HarfBuzz, libffi, DejaVu fonts, poppler and gettext yourself"
        return
    fi
    installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${SYSTEM_PACKAGES[@]}" 2>/dev/null || true)
    for pkg in "${SYSTEM_PACKAGES[@]}"; do
        awk -v p="$pkg" '$1 == p && $2 == "ii" { found = 1 } END { exit !found }' <<<"$installed" ||
            missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return
    if [ "$(id -u)" -ne 0 ]; then
        say "missing Debian packages: ${missing[*]}"
        say "install them with: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
        say "continuing without them: PDF rendering, browser tests and translations need them"
        return
    fi
    say "installing Debian packages: ${missing[*]}"
    log=$(mktemp)
    if ! DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1; then
        cat "$log" >&2
        die "apt-get update failed"
    fi
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >"$log" 2>&1; then
        cat "$log" >&2
        die "apt-get install ${missing[*]} failed"
    fi
    rm -f "$log"
}

ensure_venv() {
    local python
    if [ -x "$VENV/bin/python" ] && is_python312 "$VENV/bin/python"; then
        return
    fi
    python=$(find_python312)
    if [ -e "$VENV" ]; then
        say "$VENV is not a working Python 3.12 environment; recreating it"
        rm -rf "$VENV"
    fi
    "$python" -m venv "$VENV" ||
        die "could not create $VENV with $python (on Debian/Ubuntu: apt-get install python3.12-venv)"
}

ensure_requirements() {
    local want
    [ -f "$LOCK" ] || die "$LOCK is missing (make lock rebuilds it from pyproject.toml)"
    want=$(sha256_of "$LOCK")
    if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
        return
    fi
    say "installing $LOCK into $VENV (a first run takes a few minutes)"
    "$VENV/bin/python" -m pip install -qq --disable-pip-version-check --upgrade pip ||
        say "warning: could not upgrade pip; going on with $("$VENV/bin/python" -m pip --version | cut -d' ' -f2)"
    "$VENV/bin/python" -m pip install -qq --disable-pip-version-check -r "$LOCK" ||
        die "pip install -r $LOCK failed (see above)"
    printf '%s\n' "$want" >"$STAMP"
}

# The .mo files are built, not committed (.gitignore): compile a catalogue when its .po is
# newer than its .mo (or the .mo is missing), so an up-to-date tree costs no Django start-up.
compile_translations() {
    local po stale=()
    [ -d locale ] || return 0
    while IFS= read -r -d '' po; do
        [ "$po" -nt "${po%.po}.mo" ] && stale+=("$po")
    done < <(find locale -name '*.po' -print0)
    [ ${#stale[@]} -eq 0 ] && return
    if ! command -v msgfmt >/dev/null 2>&1; then
        say "msgfmt (GNU gettext) is missing: not compiling ${stale[*]}, so pages stay in English"
        say "install it with: sudo apt-get install -y --no-install-recommends gettext (or run this with --system as root)"
        return
    fi
    say "compiling translations: ${stale[*]}"
    "$VENV/bin/python" manage.py compilemessages --ignore .venv --ignore node_modules --verbosity 0 ||
        die "manage.py compilemessages failed (see above)"
}

if [ "$print_python" -eq 1 ]; then
    find_python312
    exit 0
fi
[ "$system_deps" -eq 1 ] && ensure_system_packages
ensure_venv
ensure_requirements
compile_translations
