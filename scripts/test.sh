#!/usr/bin/env bash
# Set everything up, then run the whole check: ruff, mypy, import-linter contracts, pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export QT_QPA_PLATFORM=offscreen
echo "== ruff";          .venv/bin/ruff check kashop_desktop tests benchmarks
echo "== mypy";          .venv/bin/mypy kashop_desktop
echo "== import-linter"; .venv/bin/lint-imports
echo "== pytest";        .venv/bin/pytest -p no:cacheprovider "$@"
