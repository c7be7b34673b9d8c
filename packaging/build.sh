#!/usr/bin/env bash
# Build the one-folder frozen petbrowser (PyInstaller) and smoke-test it.
#
#   bash packaging/build.sh               # -> packaging/dist/petbrowser/petbrowser
#   bash packaging/build.sh --smoke-only  # re-run the smoke tests on the last build
#
# Non-interactive and idempotent: its own venv under packaging/build/venv
# (reused, refreshed), the wheel of the current tree installed into it (so the
# bundle holds exactly what the wheel ships), PyInstaller from PyPI, then the
# frozen app is run for real: --version; the demo + ls/status/log/pull on the
# CLI (status and pull run the class agent through the frozen executable
# itself); the resources seen from inside the bundle; push + ls against a real
# S3 server (moto from .venv, when there); the GUI offscreen for a few seconds;
# the window on a real X server (Xvfb, when installed), and the one-line
# message with a library hidden and with no display; the desktop entry and
# metainfo validated; install-desktop.sh into a scratch prefix.  Any failure exits non-zero with the step that failed.
# Environment: PYTHON (interpreter for the build venv, default python3; it
# must be built with --enable-shared), GUI_SECONDS (default 8).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PKG="$ROOT/packaging"
BUILD="$PKG/build"
DIST="$PKG/dist"
VENV="$BUILD/venv"
APP_DIR="$DIST/petbrowser"
APP="$APP_DIR/petbrowser"
PY=${PYTHON:-python3}
GUI_SECONDS=${GUI_SECONDS:-8}

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'build.sh: FAILED: %s\n' "$*" >&2; exit 1; }

SMOKE_ONLY=0
case "${1:-}" in
    "") ;;
    --smoke-only) SMOKE_ONLY=1 ;;
    *) fail "unknown argument '$1' (usage: build.sh [--smoke-only])" ;;
esac

SMOKE=$(mktemp -d "${TMPDIR:-/tmp}/petbrowser-smoke.XXXXXX")
trap 'rm -rf "$SMOKE"' EXIT

if [ "$SMOKE_ONLY" -eq 0 ]; then
step "build venv ($VENV)"
mkdir -p "$BUILD"
if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q --upgrade "pyinstaller>=6.10,<7"
"$VENV/bin/python" - <<'EOF' || fail "this Python has no shared libpython (PyInstaller needs --enable-shared)"
import sysconfig, sys
sys.exit(0 if sysconfig.get_config_var("Py_ENABLE_SHARED") else 1)
EOF
echo "pyinstaller $("$VENV/bin/pyinstaller" --version), $("$VENV/bin/python" --version)"

step "wheel of the current tree"
# From a fresh copy of what the wheel is made of: setuptools would otherwise
# write build/ into the tree, and stale files there can slip into the wheel.
rm -rf "$BUILD/wheel" "$BUILD/src"
mkdir -p "$BUILD/src"
cp -a "$ROOT/pyproject.toml" "$ROOT/README.md" "$ROOT/LICENSE" "$ROOT/petbrowser" "$ROOT/resources" "$BUILD/src/"
find "$BUILD/src" -name __pycache__ -prune -exec rm -rf {} +
"$VENV/bin/python" -m pip wheel -q --no-deps -w "$BUILD/wheel" "$BUILD/src"
WHEEL=$(ls "$BUILD"/wheel/petbrowser-*.whl)
"$VENV/bin/python" - "$WHEEL" <<'EOF' || fail "the wheel misses files (see above)"
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
need = [
    "petbrowser/resources/petbrowser.svg",
    "petbrowser/resources/icons/hicolor/512x512/apps/petbrowser.png",
    "petbrowser/resources/icons/hicolor/16x16/apps/petbrowser.png",
    "petbrowser/resources/icons/push.svg",
    "petbrowser/core/agent/__init__.py",
    "petbrowser/core/agent/main.py",
]
missing = [n for n in need if n not in names]
for n in missing:
    print("missing from the wheel:", n)
print(f"{sys.argv[1].rsplit('/', 1)[-1]}: {len(names)} files")
sys.exit(1 if missing else 0)
EOF
"$VENV/bin/python" -m pip install -q "$WHEEL"
"$VENV/bin/python" -m pip install -q --force-reinstall --no-deps "$WHEEL"

step "PyInstaller (one folder)"
# Run from packaging/build so the source tree never shadows the installed package.
(cd "$BUILD" && "$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$BUILD/work" "$PKG/petbrowser.spec")
fi
[ -x "$APP" ] || fail "no executable at $APP (run without --smoke-only first)"

# The smoke tests must not touch the real user's data, settings or AWS setup.
export XDG_DATA_HOME="$SMOKE/data" XDG_CONFIG_HOME="$SMOKE/config" XDG_CACHE_HOME="$SMOKE/cache"
export QT_QPA_PLATFORM=offscreen
unset PETBROWSER_STORAGE

step "smoke: petbrowser --version"
want="petbrowser $("$VENV/bin/python" -c 'import petbrowser; print(petbrowser.__version__)')"
got=$("$APP" --version)
echo "$got"
[ "$got" = "$want" ] || fail "--version printed '$got', expected '$want'"

step "smoke: the typed records are msgspec structs in the bundle (not the dataclass fallback)"
"$APP" -I -c "from petbrowser.core.structs import NATIVE; assert NATIVE, 'msgspec is missing from the bundle'" \
    || fail "msgspec did not load in the frozen app"

step "smoke: petbrowser demo + ls/status/log/pull (the agent runs in the frozen executable)"
"$APP" demo "$SMOKE/demo" >"$SMOKE/demo.out" || fail "petbrowser demo"
(cd "$SMOKE" && "$APP" ls --project "$SMOKE/demo/project" --json >"$SMOKE/ls.json") || fail "petbrowser ls"
(cd "$SMOKE" && "$APP" status --project "$SMOKE/demo/project" --json >"$SMOKE/status.json") || fail "petbrowser status"
(cd "$SMOKE" && "$APP" log Normalizer --project "$SMOKE/demo/project" --json >"$SMOKE/log.json") || fail "petbrowser log"
(cd "$SMOKE" && "$APP" pull Normalizer --project "$SMOKE/demo/project" >"$SMOKE/pull.out") || fail "petbrowser pull"
sed 's/^/  pull: /' "$SMOKE/pull.out"
"$VENV/bin/python" - "$SMOKE" <<'EOF' || fail "unexpected CLI output (see above)"
import json, sys
from pathlib import Path
d = Path(sys.argv[1])
classes = {c["name"]: c for c in json.loads((d / "ls.json").read_text())}
status = {s["name"]: s["status"] for s in json.loads((d / "status.json").read_text())}
log = json.loads((d / "log.json").read_text())
print("ls:", ", ".join(f"{n} ({len(c['versions'])} versions)" for n, c in sorted(classes.items())))
print("status:", ", ".join(f"{n}={s}" for n, s in sorted(status.items())))
want = {"Normalizer": "synced", "ThresholdFilter": "behind", "LinearModel": "out_of_sync",
        "MovingAverage": "untracked", "Clipper": "remote_only"}
ok = set(want) - {"MovingAverage"} <= set(classes) and status == want
ok = ok and len(classes["Normalizer"]["versions"]) == 2
ok = ok and [h["action"] for h in log["history"]].count("rollback") == 1
print("log Normalizer:", ", ".join(h["action"] for h in log["history"]))
sys.exit(0 if ok else 1)
EOF

step "smoke: the frozen agent reads the project's source as it is now and writes nothing into it"
[ -z "$(find "$SMOKE/demo/project" -name __pycache__ -print -quit)" ] || fail "the agent wrote __pycache__ into the project"
# A .pyc of the module as the user's own runs leave it (same Python as the
# bundle), then one digit of the synced Normalizer changed, size and
# modification time kept: an edit within the same second, which that .pyc
# would have hidden.
"$VENV/bin/python" - "$SMOKE/demo/project/demo_filters.py" <<'EOF' || fail "could not edit the demo module"
import os, py_compile, sys
path = sys.argv[1]
py_compile.compile(path, doraise=True, invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
st = os.stat(path)
text = open(path, encoding="utf-8").read()
old = "self.std = math.sqrt(var) or 1.0"
assert text.count(old) == 1, "the demo module changed: update this smoke step"
open(path, "w", encoding="utf-8").write(text.replace(old, old[:-3] + "2.0"))
os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
EOF
pyc_before=$(cd "$SMOKE/demo/project" && find . -name '*.pyc' -exec sha256sum {} +)
(cd "$SMOKE" && "$APP" status --project "$SMOKE/demo/project" --json >"$SMOKE/status2.json") || fail "petbrowser status after the edit"
"$VENV/bin/python" - "$SMOKE/status2.json" <<'EOF' || fail "status did not see the same-second edit"
import json, sys
status = {s["name"]: s["status"] for s in json.load(open(sys.argv[1]))}
print("status after a same-second edit: Normalizer =", status["Normalizer"])
sys.exit(0 if status["Normalizer"] == "out_of_sync" else 1)
EOF
[ "$(cd "$SMOKE/demo/project" && find . -name '*.pyc' -exec sha256sum {} +)" = "$pyc_before" ] || fail "the agent changed .pyc files in the project"

step "smoke: resources and Qt plugins found inside the bundle"
"$APP" -I -c '
import sys
from importlib.resources import files
from PySide6.QtGui import QGuiApplication
from petbrowser.gui.icons import ICON_NAMES, app_icon, icon
app = QGuiApplication(["petbrowser"])
root = files("petbrowser.resources")
missing = [n for n in ICON_NAMES if not root.joinpath("icons", n + ".svg").is_file()]
missing += [f"{n}x{n}" for n in (16, 32, 48, 64, 128, 256, 512)
            if not root.joinpath("icons", "hicolor", f"{n}x{n}", "apps", "petbrowser.png").is_file()]
blank = [n for n in ICON_NAMES if icon(n).pixmap(32, 32).isNull()]
if app_icon().pixmap(64, 64).isNull():
    blank.append("app icon")
print(f"{len(ICON_NAMES)} action icons + app icon under {root}")
if missing or blank:
    print("missing:", missing, "blank:", blank)
    sys.exit(1)
' || fail "resources not found or not rendered in the frozen app"

step "smoke: S3 from the frozen app (boto3 models bundled; push + ls against a real S3 server)"
"$APP" -I -c '
import boto3
session = boto3.session.Session(region_name="us-east-1")
for name in ("s3", "sts", "sso", "sso-oidc"):
    session.client(name)
print("boto3 clients: s3, sts, sso, sso-oidc")
' || fail "boto3 cannot create its clients in the frozen app"
MOTO_PY="$ROOT/.venv/bin/python"
if [ -x "$MOTO_PY" ] && "$MOTO_PY" -c "import moto.server" 2>/dev/null; then
    cat >"$SMOKE/s3_smoke_server.py" <<'EOF_MOTO'
import os, socket, sys, threading
from moto.server import ThreadedMotoServer
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
server.start()
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(port))
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
threading.Event().wait()
EOF_MOTO
    "$MOTO_PY" "$SMOKE/s3_smoke_server.py" "$SMOKE/moto.port" >"$SMOKE/moto.log" 2>&1 &
    MOTO_PID=$!
    trap 'kill "$MOTO_PID" 2>/dev/null || true; rm -rf "$SMOKE"' EXIT
    for _ in $(seq 1 300); do
        [ -s "$SMOKE/moto.port" ] && break
        kill -0 "$MOTO_PID" 2>/dev/null || fail "the moto S3 server did not start: $(tail -1 "$SMOKE/moto.log")"
        sleep 0.1
    done
    [ -s "$SMOKE/moto.port" ] || fail "the moto S3 server did not report its port"
    ENDPOINT="http://127.0.0.1:$(cat "$SMOKE/moto.port")"
    (
        export AWS_ACCESS_KEY_ID=smoke-key AWS_SECRET_ACCESS_KEY=smoke-secret AWS_DEFAULT_REGION=us-east-1
        export AWS_CONFIG_FILE="$SMOKE/aws-config" AWS_SHARED_CREDENTIALS_FILE="$SMOKE/aws-credentials"
        "$APP" -I -c "import boto3; boto3.client('s3', endpoint_url='$ENDPOINT').create_bucket(Bucket='pb-smoke')"
        cd "$SMOKE"
        "$APP" push --all --project "$SMOKE/demo/project" --storage s3://pb-smoke/store --endpoint-url "$ENDPOINT"
        "$APP" ls --storage s3://pb-smoke/store --endpoint-url "$ENDPOINT" --json >"$SMOKE/s3ls.json"
    ) || fail "S3 push/ls from the frozen app"
    "$VENV/bin/python" - "$SMOKE/s3ls.json" <<'EOF' || fail "the S3 store does not hold the pushed classes"
import json, sys
names = sorted(c["name"] for c in json.load(open(sys.argv[1])))
print("S3 store:", ", ".join(names))
sys.exit(0 if names == ["LinearModel", "MovingAverage", "Normalizer", "ThresholdFilter"] else 1)
EOF
    kill "$MOTO_PID" 2>/dev/null || true
else
    echo "skipped the S3 round trip: no moto in $ROOT/.venv (bash scripts/test.sh installs it)"
fi

step "smoke: GUI offscreen for ${GUI_SECONDS}s (petbrowser --demo)"
set +e
timeout "$GUI_SECONDS" "$APP" --demo >"$SMOKE/gui.out" 2>"$SMOKE/gui.err"
rc=$?
set -e
if [ -s "$SMOKE/gui.err" ]; then
    echo "GUI stderr:"
    sed 's/^/  | /' "$SMOKE/gui.err"
fi
[ "$rc" -eq 124 ] || fail "the GUI exited by itself with code $rc (expected to be still running: 124)"
if grep -Eq 'Error|Traceback|error:' "$SMOKE/gui.err"; then
    fail "the GUI wrote an error on stderr"
fi
echo "GUI ran ${GUI_SECONDS}s with a clean stderr"

step "smoke: the frozen window on a real X server (Xvfb), then with a library hidden"
# The same pre-Qt platform check as the installed app (petbrowser/gui/platform_check.py):
# Qt's libraries travel in the bundle and, where the build machine had them, so do
# the xcb ones; whatever the bundle leaves to the system is checked before Qt loads.
if command -v Xvfb >/dev/null && command -v xwininfo >/dev/null; then
    exec {xfd}<> <(:)
    Xvfb -displayfd "$xfd" -screen 0 1280x800x24 -nolisten tcp >"$SMOKE/xvfb.log" 2>&1 &
    XVFB_PID=$!
    read -r -t 30 xnum <&"$xfd" || fail "Xvfb did not start"
    exec {xfd}>&-
    xenv=(env -u QT_QPA_PLATFORM DISPLAY=":$xnum")
    "${xenv[@]}" "$APP" --demo >"$SMOKE/x11.out" 2>"$SMOKE/x11.err" &
    GUI_PID=$!
    seen=0
    for _ in $(seq 1 240); do
        if DISPLAY=":$xnum" xwininfo -root -tree 2>/dev/null | grep -q '— petbrowser"'; then seen=1; break; fi
        kill -0 "$GUI_PID" 2>/dev/null || break
        sleep 0.25
    done
    [ "$seen" -eq 1 ] || { sed 's/^/  | /' "$SMOKE/x11.err"; kill "$XVFB_PID"; fail "no petbrowser window appeared on the X server"; }
    kill -TERM "$GUI_PID"
    set +e; wait "$GUI_PID"; rc=$?; set -e
    [ "$rc" -eq 0 ] || { sed 's/^/  | /' "$SMOKE/x11.err"; kill "$XVFB_PID"; fail "the window did not close cleanly (exit $rc)"; }
    echo "window seen on :$xnum, closed with exit 0"
    # A copy of the app whose xcb plugin needs a library no system has (the frozen app
    # sets QT_PLUGIN_PATH to its own plugins, so the copy is of the whole folder).
    cp -al "$APP_DIR" "$SMOKE/hidden-app" 2>/dev/null || cp -a "$APP_DIR" "$SMOKE/hidden-app"
    HIDDEN_PLUGIN="$SMOKE/hidden-app/_internal/PySide6/Qt/plugins/platforms/libqxcb.so"
    "$VENV/bin/python" - "$HIDDEN_PLUGIN" <<'EOF_HIDE'
import os, sys
data = open(sys.argv[1], "rb").read()
assert data.count(b"libxcb-icccm.so.4\0") == 1
os.unlink(sys.argv[1])  # a hard link to the real bundle: write a new file, never through it
open(sys.argv[1], "wb").write(data.replace(b"libxcb-icccm.so.4\0", b"libxcb-pbhid.so.4\0"))
EOF_HIDE
    set +e
    timeout 60 "${xenv[@]}" "$SMOKE/hidden-app/petbrowser" --demo >"$SMOKE/hidden.out" 2>"$SMOKE/hidden.err"
    rc=$?
    set -e
    kill "$XVFB_PID" 2>/dev/null || true
    sed 's/^/  | /' "$SMOKE/hidden.err"
    [ "$rc" -eq 1 ] || fail "with a library hidden the frozen app exited $rc (expected 1, one line)"
    [ "$(wc -l <"$SMOKE/hidden.err")" -eq 1 ] && grep -q "needs libxcb-pbhid.so.4" "$SMOKE/hidden.err" \
        || fail "with a library hidden the frozen app did not say which, in one line"
    set +e
    timeout 60 env -u QT_QPA_PLATFORM -u DISPLAY -u WAYLAND_DISPLAY "$APP" --demo >"$SMOKE/nodisplay.out" 2>"$SMOKE/nodisplay.err"
    rc=$?
    set -e
    sed 's/^/  | /' "$SMOKE/nodisplay.err"
    [ "$rc" -eq 1 ] && grep -q "there is no display" "$SMOKE/nodisplay.err" \
        || fail "without a display the frozen app exited $rc without its one line"
else
    echo "Xvfb or xwininfo not installed: skipped (apt-get install xvfb x11-utils; .ci/run installs them)"
fi

step "desktop entry and AppStream metainfo"
if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate "$PKG/io.github.petbrowser.PetBrowser.desktop" || fail "desktop-file-validate"
    echo "desktop-file-validate: ok"
else
    echo "desktop-file-validate not installed: skipped (apt-get install desktop-file-utils)"
fi
if command -v appstreamcli >/dev/null; then
    appstreamcli validate --no-net --pedantic "$PKG/io.github.petbrowser.PetBrowser.metainfo.xml" \
        || fail "appstreamcli validate"
else
    echo "appstreamcli not installed: skipped (apt-get install appstream)"
fi

step "desktop integration (install-desktop.sh into a scratch prefix, then uninstall)"
bash "$PKG/install-desktop.sh" --prefix "$SMOKE/prefix" || fail "install-desktop.sh"
"$SMOKE/prefix/bin/petbrowser" --version >/dev/null || fail "the installed petbrowser does not run"
[ -f "$SMOKE/prefix/share/icons/hicolor/256x256/apps/io.github.petbrowser.PetBrowser.png" ] \
    || fail "the installed icon is missing"
if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate "$SMOKE/prefix/share/applications/io.github.petbrowser.PetBrowser.desktop" \
        || fail "the installed desktop entry does not validate"
fi
bash "$PKG/install-desktop.sh" --uninstall --prefix "$SMOKE/prefix" || fail "install-desktop.sh --uninstall"
[ ! -e "$SMOKE/prefix/bin/petbrowser" ] || fail "--uninstall left bin/petbrowser"

step "done"
du -sh "$APP_DIR"
echo "run it: $APP [PROJECT_DIR]"
