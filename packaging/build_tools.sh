#!/usr/bin/env bash
# The tools `make dist` needs beyond the project's venv: makensis, dpkg-deb and friends.
# Installed with apt (sudo when not root) only when missing; safe to run again.
set -euo pipefail
TOOLS=(nsis binutils dpkg-dev desktop-file-utils)
installed=" $(dpkg-query -W -f='${Package}:${db:Status-Status} ' "${TOOLS[@]}" 2>/dev/null || true)"
missing=()
for pkg in "${TOOLS[@]}"; do
  [[ "$installed" == *" $pkg:installed "* ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing build tools: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
