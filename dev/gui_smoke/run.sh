#!/usr/bin/env bash
# make gui-smoke: Scene Picker in the real QGIS desktop under Xvfb, driven by dev/gui_smoke/drive.py.
#
# A throw-away HOME (build/gui-smoke/home) holds a fresh QGIS profile with the plugin installed from the
# package (make deploy) and enabled in its QGIS3.ini. Screenshots and result.json land in build/gui-smoke/.
# Fails when a step does not produce its layer, when QGIS logs a Python error, or when QGIS hangs.
#
# Environment: GUI_SMOKE_DISPLAY (X display to start Xvfb on, default :91), GUI_SMOKE_TIMEOUT (s, 300),
# PYTHON (the venv's python, to generate the demo catalog), QGIS (the qgis binary).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$ROOT/build/gui-smoke
DISPLAY_NUM=${GUI_SMOKE_DISPLAY:-:91}
TIMEOUT=${GUI_SMOKE_TIMEOUT:-300}
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
QGIS=${QGIS:-qgis}
SMOKE_HOME=$OUT/home
PROFILE=$SMOKE_HOME/.local/share/QGIS/QGIS3/profiles/default

for tool in Xvfb openbox import "$QGIS"; do
    command -v "$tool" >/dev/null || { echo "gui-smoke: $tool is not installed" >&2; exit 2; }
done

rm -rf "$OUT"
mkdir -p "$PROFILE/QGIS" "$SMOKE_HOME/runtime"
chmod 700 "$SMOKE_HOME/runtime"
make -C "$ROOT" --no-print-directory deploy QGIS_PLUGINS_DIR="$PROFILE/python/plugins" >"$OUT/deploy.log"
cat >"$PROFILE/QGIS/QGIS3.ini" <<'EOF'
[PythonPlugins]
scene_picker=true

[qgis]
checkVersion=false
showTips=false

[core]
NewsFeed\httpsfeedqgisorg\disabled=true
EOF
"$PYTHON" "$ROOT/demo/generate.py" "$OUT/catalog" >"$OUT/catalog.log"

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

Xvfb "$DISPLAY_NUM" -screen 0 1600x1000x24 -nolisten tcp >"$OUT/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
    DISPLAY=$DISPLAY_NUM xdpyinfo >/dev/null 2>&1 && break
    sleep 0.1
done
DISPLAY=$DISPLAY_NUM openbox >"$OUT/openbox.log" 2>&1 &
pids+=($!)

# QGIS, its profile and every XDG folder inside the throw-away HOME; loopback never through a proxy
env -u QT_QPA_PLATFORM DISPLAY="$DISPLAY_NUM" HOME="$SMOKE_HOME" \
    XDG_CONFIG_HOME="$SMOKE_HOME/.config" XDG_DATA_HOME="$SMOKE_HOME/.local/share" \
    XDG_CACHE_HOME="$SMOKE_HOME/.cache" XDG_RUNTIME_DIR="$SMOKE_HOME/runtime" \
    NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost PROJ_DATA=/usr/share/proj \
    SMOKE_OUT="$OUT" SMOKE_CATALOG="$OUT/catalog" SMOKE_SERVER_PY="$ROOT/demo/server.py" \
    timeout --kill-after=10 "$TIMEOUT" "$QGIS" --nologo --noversioncheck --code "$ROOT/dev/gui_smoke/drive.py" \
    >"$OUT/qgis.log" 2>&1 && status=0 || status=$?

"$PYTHON" - "$OUT" "$status" <<'EOF'
import json, sys
from pathlib import Path

out = Path(sys.argv[1])
try:
    result = json.loads((out / "result.json").read_text())
except (OSError, ValueError) as exc:
    sys.exit(f"gui-smoke: FAILED, no result from QGIS ({exc}); see {out / 'qgis.log'}")
log = (out / "qgis.log").read_text(errors="replace")
errors = list(result["python_errors"]) + list(result["resource_warnings"]) + [l for l in log.splitlines() if "Traceback (most recent call last)" in l]
for step in result["steps"]:
    print(f"  {step['t']:6.1f} s  {step['step']:<14} {out / step['screenshot']}")
for name, layer in result["layers"].items():
    print(f"  {name}: {layer['drawn']:.0%} drawn  ({layer['source']})")
if result.get("progress_text"):
    print(f"  progress bar read: {result['progress_text']!r}")
status = int(sys.argv[2])
if status:
    errors.append(f"QGIS exited with status {status} (124: killed after GUI_SMOKE_TIMEOUT, e.g. a dialog)")
for text in result["failures"] + errors:
    print(f"gui-smoke: {text}", file=sys.stderr)
if result["failures"] or errors or not result["ok"]:
    sys.exit("gui-smoke: FAILED")
print("gui-smoke: passed")
EOF
