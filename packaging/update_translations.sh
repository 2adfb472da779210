#!/bin/sh
# Refresh the English catalogue from the code, then compile it.
#
# 1. pyside6-lupdate scans every .py under kashop_desktop/gui for self.tr("..."),
#    QCoreApplication.translate("Context", "...") (also through an alias *named* translate) and
#    QT_TRANSLATE_NOOP, and merges the source strings into resources/i18n/kashop_en.ts.
#    Existing translations are kept; strings no longer in the code are dropped; new ones arrive
#    empty with type="unfinished" (lupdate's same-text guesses are switched off: a word can mean
#    something else on another screen).
# 2. Fill the new <translation> elements and remove type="unfinished" (Qt Linguist:
#    .venv/bin/pyside6-linguist resources/i18n/kashop_en.ts, or any editor), keeping every
#    {placeholder} / %1 of the source (tests/gui/test_i18n.py checks).
# 3. Run this script again: pyside6-lrelease compiles kashop_en.qm with the finished
#    translations only; commit the .ts and the .qm together (the test rebuilds and compares).
set -eu
cd "$(dirname "$0")/.."
BIN="${VENV_BIN:-.venv/bin}"
TS=resources/i18n/kashop_en.ts
QM=resources/i18n/kashop_en.qm
"$BIN/pyside6-lupdate" -silent -extensions py -recursive kashop_desktop/gui \
    -source-language zh_CN -target-language en -no-obsolete -locations none \
    -disable-heuristic sametext -disable-heuristic similartext -ts "$TS"
"$BIN/pyside6-lrelease" -silent -nounfinished "$TS" -qm "$QM"
echo "updated $TS and $QM"
grep -c 'type="unfinished"' "$TS" | sed 's/^/unfinished translations: /' || true
