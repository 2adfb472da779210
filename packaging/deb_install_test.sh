#!/usr/bin/env bash
# Install the .deb on a bare Debian 12 and check that the installed app works.
#
#   packaging/deb_install_test.sh          # in a minimal bookworm chroot made with debootstrap
#   packaging/deb_install_test.sh --host   # on this machine instead (then uninstalls again)
#
# In the chroot: `apt-get install --no-install-recommends ./kashop-desktop_*.deb` on a pristine
# `debootstrap --variant=minbase bookworm` root (so only the package's Depends are there), then:
#   - ldd finds every library of /opt/kashop-desktop (nothing "not found");
#   - `kashop-desktop gateways kinds --json` lists the six gateways through their entry points;
#   - `kashop-desktop --smoke` paints offscreen and prints "smoke ok <ms>";
#   - the real window, on the demo shop, under Xvfb (the X server runs on the host and is shared
#     into the chroot through /tmp/.X11-unix, so no X package is added to the bare system);
#     screenshot: dist/deb-install-test.png;
#   - `apt-get purge` removes the program and leaves the shop's data byte-identical.
# The base root is cached in $KASHOP_CHROOT_CACHE (default /var/cache/kashop-desktop) after the
# first debootstrap (~2 min); every run unpacks a fresh copy. Needs root.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MODE="chroot"
[[ "${1:-}" == "--host" ]] && MODE="host"
DEB="$(ls -t dist/kashop-desktop_*.deb 2>/dev/null | head -1 || true)"
[[ -n "$DEB" ]] || { echo "no dist/kashop-desktop_*.deb: run packaging/build_linux.sh first" >&2; exit 1; }
DEB="$(readlink -f "$DEB")"
SHOT="$ROOT/dist/deb-install-test.png"
CACHE="${KASHOP_CHROOT_CACHE:-/var/cache/kashop-desktop}"
BASE_TAR="$CACHE/bookworm-minbase.tar"
EXPECTED="alipay epay_v1 epay_v2 sandbox wallet wechatpay_v3"
DISPLAY_NUM="${KASHOP_TEST_DISPLAY:-97}"

say() { printf '\n== %s\n' "$*"; }
need() {  # need COMMAND PACKAGE: install a host tool from Debian if it is missing
    command -v "$1" >/dev/null 2>&1 && return 0
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
mirror() {  # the Debian mirror apt uses on this machine
    local uri
    uri="$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -1 || true)"
    [[ -n "$uri" ]] || uri="$(grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v security | head -1 || true)"
    echo "${DEBIAN_MIRROR:-${uri:-http://deb.debian.org/debian}}"
}

WORK="$(mktemp -d /tmp/kashop-deb-test.XXXXXX)"
CH="$WORK/root"
XVFB_PID=""
APP_PID=""
cleanup() {
    [[ -n "$APP_PID" ]] && kill "$APP_PID" 2>/dev/null || true
    [[ -n "$XVFB_PID" ]] && kill "$XVFB_PID" 2>/dev/null || true
    for m in "$CH/tmp/.X11-unix" "$CH/proc"; do
        mountpoint -q "$m" 2>/dev/null && umount -l "$m" || true
    done
    # Never rm -rf a tree that still has something mounted in it.
    if ! grep -qs " $WORK/" /proc/mounts; then rm -rf "$WORK"; else echo "left $WORK (still mounted)" >&2; fi
}
trap cleanup EXIT

start_xvfb() {
    need Xvfb xvfb
    need import imagemagick
    need xwininfo x11-utils
    Xvfb ":$DISPLAY_NUM" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
    XVFB_PID=$!
    for _ in $(seq 50); do [[ -S "/tmp/.X11-unix/X$DISPLAY_NUM" ]] && return 0; sleep 0.1; done
    echo "Xvfb did not start" >&2; return 1
}

wait_for_window() {  # until a kashop window is mapped on the display, then a moment to paint
    for _ in $(seq 120); do
        if xwininfo -display ":$DISPLAY_NUM" -root -tree 2>/dev/null | grep -qi -E 'kashop|卡店'; then
            sleep 3; return 0
        fi
        sleep 0.5
    done
    echo "no kashop window appeared on :$DISPLAY_NUM" >&2; return 1
}

# ---- where to run --------------------------------------------------------------------------------
if [[ "$MODE" == "chroot" ]]; then
    need debootstrap debootstrap
    if [[ ! -s "$BASE_TAR" ]]; then
        say "debootstrap --variant=minbase bookworm from $(mirror) (first run only)"
        mkdir -p "$CACHE" "$WORK/base"
        if ! debootstrap --variant=minbase bookworm "$WORK/base" "$(mirror)" >"$WORK/debootstrap.log" 2>&1; then
            tail -20 "$WORK/debootstrap.log" >&2
            echo "debootstrap failed (see above); try: $0 --host" >&2
            exit 1
        fi
        tar -C "$WORK/base" -cf "$BASE_TAR" . && rm -rf "$WORK/base"
    fi
    say "fresh bare Debian 12 root from $BASE_TAR"
    mkdir -p "$CH" && tar -C "$CH" -xf "$BASE_TAR"
    cp /etc/resolv.conf "$CH/etc/resolv.conf" 2>/dev/null || true
    mount -t proc proc "$CH/proc"
    cp "$DEB" "$CH/tmp/"
    IN=(chroot "$CH" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb)
    DEB_IN="/tmp/$(basename "$DEB")"
else
    say "installing on this machine (--host)"
    IN=(env HOME="$WORK/home" LANG=C.UTF-8)
    mkdir -p "$WORK/home"
    DEB_IN="$DEB"
fi

say "apt-get install --no-install-recommends $(basename "$DEB")"
t0=$(date +%s)
"${IN[@]}" apt-get update -qq
"${IN[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$DEB_IN" \
    > "$WORK/apt.log" 2>&1 || { tail -30 "$WORK/apt.log" >&2; exit 1; }
echo "installed in $(( $(date +%s) - t0 )) s: $("${IN[@]}" dpkg-query -W -f='${Package} ${Version}' kashop-desktop)"
echo "on PATH: $("${IN[@]}" sh -c 'command -v kashop-desktop')"

say "ldd over /opt/kashop-desktop (with the bundle's own libraries first, as the bootloader does)"
missing="$("${IN[@]}" sh -c 'cd /opt/kashop-desktop && find . -type f \( -name "*.so*" -o -name kashop-desktop \) \
    -exec env LD_LIBRARY_PATH=/opt/kashop-desktop/_internal ldd {} \; 2>/dev/null | grep "not found" | sort -u' || true)"
if [[ -n "$missing" ]]; then echo "missing libraries:"; echo "$missing"; exit 1; fi
echo "every library resolves"

say "kashop-desktop --version; gateways kinds"
"${IN[@]}" kashop-desktop --version
"${IN[@]}" kashop-desktop gateways kinds
json="$("${IN[@]}" kashop-desktop gateways kinds --json)"
entry_points="$(echo "$json" | sed -n '/"entry_points"/,/\]/p' | tr -d ' ",[]' | grep -v -e entry_points -e '^$' | sort | tr '\n' ' ')"
echo "entry points: $entry_points"
[[ "$entry_points" == "$EXPECTED " ]] || { echo "FAIL: expected entry points $EXPECTED" >&2; exit 1; }

say "kashop-desktop --smoke (offscreen)"
smoke="$("${IN[@]}" env QT_QPA_PLATFORM=offscreen KASHOP_SECRETS=vault kashop-desktop --smoke 2>"$WORK/smoke.err")" \
    || { cat "$WORK/smoke.err" >&2; exit 1; }
echo "$smoke"
[[ "$smoke" == smoke\ ok* ]] || { echo "FAIL: no 'smoke ok'" >&2; exit 1; }

say "the desk window on the demo shop under Xvfb, screenshot"
start_xvfb
if [[ "$MODE" == "chroot" ]]; then
    mkdir -p "$CH/tmp/.X11-unix" && mount --bind /tmp/.X11-unix "$CH/tmp/.X11-unix"
fi
"${IN[@]}" env KASHOP_SECRETS=vault kashop-desktop demo --orders 400 --no-gui >/dev/null
DATA="$("${IN[@]}" sh -c 'echo $HOME')/.local/share/kashop-desktop"
"${IN[@]}" env DISPLAY=":$DISPLAY_NUM" QT_QPA_PLATFORM=xcb KASHOP_SECRETS=vault kashop-desktop \
    > "$WORK/window.log" 2>&1 &
APP_PID=$!
wait_for_window || { cat "$WORK/window.log" >&2; exit 1; }
import -display ":$DISPLAY_NUM" -window root "$SHOT"
echo "screenshot: $SHOT"
kill "$APP_PID" 2>/dev/null || true; wait "$APP_PID" 2>/dev/null || true; APP_PID=""
grep -v -i -E "propagateSizeHints" "$WORK/window.log" | head -20 || true

say "apt-get purge keeps the shop's data"
DB_REL="$DATA/kashop.sqlite3"
[[ "$MODE" == "chroot" ]] && DB_HOST="$CH$DB_REL" || DB_HOST="$DB_REL"
before="$(sha256sum "$DB_HOST" | cut -d' ' -f1)"
"${IN[@]}" env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq kashop-desktop > "$WORK/purge.log" 2>&1 \
    || { tail "$WORK/purge.log" >&2; exit 1; }
"${IN[@]}" sh -c '! test -e /opt/kashop-desktop && ! test -e /usr/bin/kashop-desktop' \
    || { echo "FAIL: program files left after purge" >&2; exit 1; }
after="$(sha256sum "$DB_HOST" | cut -d' ' -f1)"
[[ "$before" == "$after" ]] || { echo "FAIL: the database changed on purge" >&2; exit 1; }
echo "program removed; $DB_REL unchanged ($after)"

say "deb install test passed ($MODE)"
