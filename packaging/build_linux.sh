#!/usr/bin/env bash
# Build the frozen app (PyInstaller one-folder) and the Debian package.
#
#   packaging/build_linux.sh            # frozen app into dist/kashop-desktop, then the .deb
#   packaging/build_linux.sh --deb-only # reuse dist/kashop-desktop, only pack the .deb
#
# Uses the project's venv ($VENV, default .venv). Outputs:
#   dist/kashop-desktop/                         the frozen app
#   dist/kashop-desktop_<version>_<arch>.deb     app in /opt/kashop-desktop, kashop-desktop on PATH
# The .deb is packed with zstd (xz takes ~90 s here, zstd under a second).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
NAME=kashop-desktop
DEB_ONLY=0
[[ "${1:-}" == "--deb-only" ]] && DEB_ONLY=1

t0=$(date +%s.%N)
if [[ $DEB_ONLY -eq 0 ]]; then
    "$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
        --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller" "$ROOT/packaging/$NAME.spec"
fi
t1=$(date +%s.%N)
[[ -x "dist/$NAME/$NAME" ]] || { echo "no frozen app in dist/$NAME" >&2; exit 1; }

VERSION_PY="$("$PY" -c "from importlib.metadata import version; print(version('$NAME'))")"
# PEP 440 -> Debian: pre-releases sort before the release with '~' (1.0rc1 -> 1.0~rc1).
VERSION="$(echo "$VERSION_PY" | sed -E 's/\.?(a|b|rc|dev)([0-9]*)/~\1\2/; s/\+/+/')"
ARCH="$(dpkg --print-architecture)"
STAGE="$ROOT/build/deb/${NAME}_${VERSION}_${ARCH}"
DEB="$ROOT/dist/${NAME}_${VERSION}_${ARCH}.deb"

rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
    "$STAGE/usr/share/icons/hicolor/256x256/apps" "$STAGE/usr/share/icons/hicolor/scalable/apps" \
    "$STAGE/usr/share/doc/$NAME"
cp -a "dist/$NAME" "$STAGE/opt/$NAME"
# The PyInstaller bootloader finds its _internal folder through /proc/self/exe, so a symlink works.
ln -s "/opt/$NAME/$NAME" "$STAGE/usr/bin/$NAME"
install -m 0644 packaging/linux/$NAME.desktop "$STAGE/usr/share/applications/$NAME.desktop"
install -m 0644 resources/icons/kashop.png "$STAGE/usr/share/icons/hicolor/256x256/apps/$NAME.png"
install -m 0644 resources/icons/kashop.svg "$STAGE/usr/share/icons/hicolor/scalable/apps/$NAME.svg"
install -m 0644 packaging/linux/copyright "$STAGE/usr/share/doc/$NAME/copyright"
install -m 0755 packaging/linux/postinst "$STAGE/DEBIAN/postinst"
install -m 0755 packaging/linux/postrm "$STAGE/DEBIAN/postrm"

INSTALLED_KB="$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)"
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@INSTALLED_SIZE@/$INSTALLED_KB/" \
    packaging/linux/control.in > "$STAGE/DEBIAN/control"
(cd "$STAGE" && find opt usr -type f -print0 | sort -z | xargs -0 md5sum > DEBIAN/md5sums)
chmod -R u+rwX,go+rX,go-w "$STAGE"

rm -f "$DEB"
dpkg-deb --root-owner-group -Zzstd --build "$STAGE" "$DEB" >/dev/null
t2=$(date +%s.%N)

SIZE_B=$(stat -c %s "$DEB")
echo "deb: $DEB"
awk -v b="$SIZE_B" -v k="$INSTALLED_KB" 'BEGIN { printf "deb size: %.1f MB (%d bytes; installed %.0f MB)\n", b/1048576, b, k/1024 }'
awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "build time: frozen app %.1f s, deb %.1f s\n", b-a, c-b }'
