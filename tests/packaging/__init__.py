"""Packaging checks: spec, desktop entry, control file, NSIS script, About dialog, crash hook."""
