#!/usr/bin/env bash
# Set up everything kashop-desktop needs on a fresh Debian/Ubuntu machine:
# the system libraries Qt needs (offscreen and under Xvfb), then a virtualenv in .venv
# with the pinned Python packages. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3-venv python3-pip
  libglib2.0-0 libegl1 libgl1 libfontconfig1 libdbus-1-3 libxkbcommon0
  xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0
  libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0
  postgresql  # the tests start a private PostgreSQL server from its binaries (tests/pgserver.py)
)

# One dpkg-query for all of them (a relaunch of the demo should not wait on 18 dpkg runs).
installed=" $(dpkg-query -W -f='${Package}:${db:Status-Status} ' "${APT_PACKAGES[@]}" 2>/dev/null || true)"
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  [[ "$installed" == *" $pkg:installed "* ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# pip runs only when what it installs could have changed: the stamp holds the hash of
# pyproject.toml and of this script, written after a successful install.
STAMP=.venv/.kashop-setup-stamp
WANT="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null)" = "$WANT" ] && .venv/bin/python -c "import kashop_desktop" 2>/dev/null; then
  exit 0
fi
echo "installing the pinned Python packages into .venv (log: .venv/pip-install.log) ..."
LOG=.venv/pip-install.log
if ! { .venv/bin/python -m pip install -q --upgrade pip && \
       .venv/bin/python -m pip install -q -e ".[dev,oracles,dist]"; } >"$LOG" 2>&1; then
  grep -v "is ignored" "$LOG" >&2 || true
  echo "pip failed; the whole output is in $LOG" >&2
  exit 1
fi
.venv/bin/python -c "import PySide6, peewee, qasync, kashop_desktop; print('kashop-desktop', kashop_desktop.__version__, 'ready; PySide6', PySide6.__version__)"
echo "$WANT" > "$STAMP"
