# Installer builds (packaging/README.md). The tests and static checks are scripts/test.sh.
#
#   make dist               frozen app, .deb, and the NSIS installer compiled over the Linux payload
#                           (on a fresh checkout it first sets up .venv and the build tools: make setup)
#   make smoke              the frozen app: --smoke offscreen, and its gateways through entry points
#   make check-packaging    what CI runs: frozen app, smoke, gateways, NSIS compile; prints the figures
#   make deb-install-test   (slow) install the .deb on a bare Debian 12 chroot, run it, screenshot
#   make icon               redraw resources/icons from packaging/make_icon.py

VENV ?= .venv
export VENV
FROZEN := dist/kashop-desktop/kashop-desktop

.PHONY: setup dist frozen deb nsis smoke check-packaging deb-install-test deb-install-test-host icon clean-dist

# What the build needs, like the README's two commands: the venv with the pinned packages
# (PyInstaller comes with the dist extra; pip runs only when pyproject.toml changed) and the
# system tools (makensis, dpkg-deb). A VENV of your own is used as it is.
setup:
	@if [ "$(VENV)" = ".venv" ]; then ./scripts/setup.sh; \
	else test -x "$(VENV)/bin/pyinstaller" || { echo "$(VENV) has no PyInstaller: pip install -e '.[dist]' into it"; exit 1; }; fi
	packaging/build_tools.sh

dist: setup
	packaging/build_linux.sh
	packaging/build_windows_nsis.sh

frozen deb: setup
	packaging/build_linux.sh

nsis: setup
	packaging/build_windows_nsis.sh

smoke:
	@test -x $(FROZEN) || { echo "no frozen app: make dist first"; exit 1; }
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/python packaging/smoke_frozen.py $(FROZEN)

check-packaging:
	packaging/ci_packaging.sh

deb-install-test:
	@ls dist/kashop-desktop_*.deb >/dev/null 2>&1 || $(MAKE) deb
	packaging/deb_install_test.sh

# The fallback where debootstrap cannot reach a Debian mirror: install on this machine, then purge.
deb-install-test-host:
	@ls dist/kashop-desktop_*.deb >/dev/null 2>&1 || $(MAKE) deb
	packaging/deb_install_test.sh --host

icon:
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/python packaging/make_icon.py

clean-dist:
	rm -rf build/pyinstaller build/deb dist/kashop-desktop dist/kashop-desktop_*.deb dist/kashop-desktop-*-setup-*.exe
