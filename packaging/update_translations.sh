#!/bin/sh
# Refresh the English catalogue from the code, then compile it.
#
# 1. pyside6-lupdate scans every .py under kashop_desktop/gui for self.tr(...),
#    QCoreApplication.translate("Context", ...) and QT_TRANSLATE_NOOP, and merges the source
#    strings into resources/i18n/kashop_en.ts. Existing translations are kept; strings no longer
#    in the code are dropped; new ones arrive as type="unfinished".
# 2. Fill the new <translation> elements (Qt Linguist: .venv/bin/pyside6-linguist, or any
#    editor), keeping every {placeholder} / %1 of the source (tests/gui/test_i18n.py checks).
# 3. Run this script again: pyside6-lrelease compiles kashop_en.qm, which is committed with the .ts.
set -eu
cd "$(dirname "$0")/.."
BIN="${VENV_BIN:-.venv/bin}"
TS=resources/i18n/kashop_en.ts
QM=resources/i18n/kashop_en.qm
"$BIN/pyside6-lupdate" -silent -extensions py -recursive kashop_desktop/gui \
    -source-language zh_CN -target-language en -no-obsolete -locations none -ts "$TS"
"$BIN/pyside6-lrelease" -silent "$TS" -qm "$QM"
echo "updated $TS and $QM"
grep -c 'type="unfinished"' "$TS" | sed 's/^/unfinished translations: /' || true
