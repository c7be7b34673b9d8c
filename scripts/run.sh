#!/usr/bin/env bash
# The run command README.md gives: set up .venv and open petbrowser on the demo
# project and store (created on first run under the user data folder).
#
# pip brings Qt; the desktop brings the system libraries Qt's X11 (xcb) and
# Wayland plugins load.  On a minimal install, first:
#   Debian/Ubuntu: sudo apt-get install libegl1 libgl1 libfontconfig1 libdbus-1-3 \
#       libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 \
#       libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 \
#       libxcb-xkb1 libx11-xcb1 libwayland-client0 libwayland-cursor0
#   Fedora: sudo dnf install libglvnd-egl libglvnd-glx fontconfig dbus-libs libxkbcommon \
#       libxkbcommon-x11 xcb-util-cursor xcb-util-wm xcb-util-image xcb-util-keysyms \
#       xcb-util-renderutil libxcb libX11-xcb libwayland-client libwayland-cursor
# (the list is DESKTOP_PACKAGES_* in petbrowser/gui/platform_check.py).  When one
# is missing, petbrowser says which and exits 1 before Qt loads.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q -e .
exec .venv/bin/petbrowser --demo "$@"
