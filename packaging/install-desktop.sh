#!/usr/bin/env bash
# Put petbrowser in the desktop's application menu (freedesktop.org layout).
#
#   bash packaging/install-desktop.sh                      # the frozen build -> ~/.local
#   bash packaging/install-desktop.sh --exec "$(command -v petbrowser)"   # a pipx/pip install
#   bash packaging/install-desktop.sh --prefix /opt/pb     # elsewhere (needs write access)
#   bash packaging/install-desktop.sh --uninstall [--prefix DIR]
#
# Installs under PREFIX (default ~/.local):
#   lib/petbrowser/            the frozen one-folder app (not with --exec)
#   bin/petbrowser             a symlink to it            (not with --exec)
#   share/applications/io.github.petbrowser.PetBrowser.desktop  (Exec = absolute path)
#   share/metainfo/io.github.petbrowser.PetBrowser.metainfo.xml
#   share/icons/hicolor/{NxN,scalable}/apps/io.github.petbrowser.PetBrowser.{png,svg}
# The icon is renamed to the application id: that is the name the .desktop
# entry and AppStream look up.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PKG="$ROOT/packaging"
ID=io.github.petbrowser.PetBrowser
PREFIX="$HOME/.local"
EXEC=""
UNINSTALL=0

fail() { printf 'install-desktop.sh: %s\n' "$*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || fail "--prefix needs a folder"; PREFIX=$2; shift 2 ;;
        --exec) [ $# -ge 2 ] || fail "--exec needs the path of petbrowser"; EXEC=$2; shift 2 ;;
        --uninstall) UNINSTALL=1; shift ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) fail "unknown argument '$1' (see --help)" ;;
    esac
done
mkdir -p "$PREFIX"
PREFIX=$(cd "$PREFIX" && pwd)
SHARE="$PREFIX/share"
SIZES="16 24 32 48 64 128 256 512"

if [ "$UNINSTALL" -eq 1 ]; then
    rm -f "$SHARE/applications/$ID.desktop" "$SHARE/metainfo/$ID.metainfo.xml" \
        "$SHARE/icons/hicolor/scalable/apps/$ID.svg"
    for n in $SIZES; do rm -f "$SHARE/icons/hicolor/${n}x${n}/apps/$ID.png"; done
    if [ -L "$PREFIX/bin/petbrowser" ] && [ "$(readlink "$PREFIX/bin/petbrowser")" = "$PREFIX/lib/petbrowser/petbrowser" ]; then
        rm -f "$PREFIX/bin/petbrowser"
    fi
    rm -rf "$PREFIX/lib/petbrowser"
    echo "removed petbrowser's desktop entry from $PREFIX"
    exit 0
fi

if [ -z "$EXEC" ]; then
    APP_DIR="$PKG/dist/petbrowser"
    [ -x "$APP_DIR/petbrowser" ] || fail "no frozen build in $APP_DIR: run bash packaging/build.sh, or pass --exec PATH"
    mkdir -p "$PREFIX/lib" "$PREFIX/bin"
    rm -rf "$PREFIX/lib/petbrowser.new"
    cp -a "$APP_DIR" "$PREFIX/lib/petbrowser.new"
    rm -rf "$PREFIX/lib/petbrowser"
    mv "$PREFIX/lib/petbrowser.new" "$PREFIX/lib/petbrowser"
    ln -sfn "$PREFIX/lib/petbrowser/petbrowser" "$PREFIX/bin/petbrowser"
    EXEC="$PREFIX/bin/petbrowser"
fi
case "$EXEC" in
    /*) ;;
    *) fail "--exec needs an absolute path (got '$EXEC')" ;;
esac
[ -x "$EXEC" ] || fail "$EXEC is not an executable"
case "$EXEC" in
    *[[:space:]\"\'\\\$\`]*) fail "the path of petbrowser must not contain spaces or quotes: $EXEC" ;;
esac

mkdir -p "$SHARE/applications" "$SHARE/metainfo" "$SHARE/icons/hicolor/scalable/apps"
sed -e "s|^Exec=petbrowser |Exec=$EXEC |" -e "s|^TryExec=petbrowser$|TryExec=$EXEC|" \
    "$PKG/$ID.desktop" >"$SHARE/applications/$ID.desktop"
install -m 644 "$PKG/$ID.metainfo.xml" "$SHARE/metainfo/$ID.metainfo.xml"
install -m 644 "$ROOT/resources/petbrowser.svg" "$SHARE/icons/hicolor/scalable/apps/$ID.svg"
for n in $SIZES; do
    mkdir -p "$SHARE/icons/hicolor/${n}x${n}/apps"
    install -m 644 "$ROOT/resources/icons/hicolor/${n}x${n}/apps/petbrowser.png" \
        "$SHARE/icons/hicolor/${n}x${n}/apps/$ID.png"
done
# Refresh caches that already exist (a stale cache would hide the new entry);
# never create one: desktops scan folders that have none.
if [ -f "$SHARE/applications/mimeinfo.cache" ] && command -v update-desktop-database >/dev/null; then
    update-desktop-database -q "$SHARE/applications" || true
fi
if [ -f "$SHARE/icons/hicolor/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null; then
    gtk-update-icon-cache -q -t "$SHARE/icons/hicolor" || true
fi
echo "installed petbrowser's desktop entry under $PREFIX (runs $EXEC)"
