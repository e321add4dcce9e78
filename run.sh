#!/usr/bin/env sh
# autoorder's two commands:  ./run.sh demo   (the whole product, locally)
#                            ./run.sh test   (the test suite; extra args go to pytest)
# Makes .venv, installs the pinned dependencies and finds a Chromium first.
set -eu
cd "$(dirname "$0")"
PYTHON="${PYTHON:-python3}"
VENV=.venv

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else return 1; fi; }

apt_install() {
  # Install Debian/Ubuntu packages when we can; otherwise say exactly what to run.
  if command -v apt-get >/dev/null 2>&1 && as_root true 2>/dev/null; then
    echo "run.sh: installing $* with apt-get"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "run.sh: please install: sudo apt-get install $*" >&2
    exit 1
  fi
}

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || {
  echo "run.sh: autoorder needs Python 3.11 or newer as $PYTHON (set PYTHON=/path/to/python3.11)" >&2; exit 1; }

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV" 2>/dev/null || { rm -rf "$VENV"; apt_install python3-venv; "$PYTHON" -m venv "$VENV"; }
fi
if [ ! -f "$VENV/.installed" ] || [ requirements.txt -nt "$VENV/.installed" ] || [ requirements-dev.txt -nt "$VENV/.installed" ]; then
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -r requirements-dev.txt
  touch "$VENV/.installed"
fi

# Chromium: AUTOORDER_CHROMIUM_PATH, else Debian's chromium-headless-shell (the lightest), else its
# chromium, else Playwright's own browser (autoorder/scrapers/browser.py: chromium_executable).
if [ -z "${AUTOORDER_CHROMIUM_PATH:-}" ] && [ ! -x /usr/lib/chromium/chromium-headless-shell ] \
   && ! command -v chromium >/dev/null 2>&1 \
   && ! ls "${PLAYWRIGHT_BROWSERS_PATH:-$HOME/.cache/ms-playwright}"/chromium* >/dev/null 2>&1; then
  apt_install chromium-headless-shell || apt_install chromium  # Ubuntu has no headless-shell package
fi

case "${1:-}" in
  demo) shift; exec "$VENV/bin/python" -m autoorder.runner demo "$@" ;;
  test) shift; exec "$VENV/bin/python" -m pytest "$@" ;;
  lint) shift; "$VENV/bin/ruff" check . && exec "$VENV/bin/ruff" format --check . ;;
  *) echo "usage: ./run.sh demo | ./run.sh test [pytest args] | ./run.sh lint" >&2; exit 2 ;;
esac
