#!/usr/bin/env bash
# `make run`: the desktop app. On the user's display when there is one; otherwise (a headless
# machine) on an Xvfb server, with the command to take a screenshot of it.
#
#   src-tauri/scripts/run-desktop.sh PATH/TO/switchboard-app
#
# XVFB_DISPLAY (default :99) names the Xvfb display; SWITCHBOARD_PORT the first port to try.
# Ctrl-C quits the app like its Quit item: the gateway stops gracefully first.
set -euo pipefail

app=${1:?usage: run-desktop.sh PATH/TO/switchboard-app}
[[ -x $app ]] || { echo "error: $app is not built (cargo build -p switchboard-app)" >&2; exit 1; }

if [[ -n ${DISPLAY:-} || -n ${WAYLAND_DISPLAY:-} ]]; then
    exec "$app"
fi

display=${XVFB_DISPLAY:-:99}
xvfb_pid=
if xdpyinfo -display "$display" >/dev/null 2>&1; then
    echo "Using the X server already running on $display."
else
    command -v Xvfb >/dev/null || { echo "error: no display, and no Xvfb (apt-get install xvfb xauth)" >&2; exit 1; }
    # In its own session: Ctrl-C must reach the app only, which needs the X server to quit cleanly.
    setsid Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
    xvfb_pid=$!
    for _ in $(seq 50); do
        xdpyinfo -display "$display" >/dev/null 2>&1 && break
        sleep 0.1
    done
    xdpyinfo -display "$display" >/dev/null 2>&1 || { echo "error: Xvfb did not start on $display" >&2; exit 1; }
fi
cleanup() { [[ -n $xvfb_pid ]] && kill "$xvfb_pid" 2>/dev/null || true; }
trap cleanup EXIT

cat <<MSG
No display: Switchboard runs on the virtual X server $display.
  Screenshot:  DISPLAY=$display /usr/bin/import -window root switchboard.png
  The gateway: http://127.0.0.1:${SWITCHBOARD_PORT:-4000} (or the next free port; see the log below)
  Quit:        Ctrl-C (the gateway stops gracefully)
MSG

DISPLAY=$display "$app" &
app_pid=$!
trap 'kill -TERM "$app_pid" 2>/dev/null || true' INT TERM
# `wait` returns early when a trapped signal arrives: wait again for the app to finish quitting.
status=0
wait "$app_pid" || status=$?
while kill -0 "$app_pid" 2>/dev/null; do wait "$app_pid" || status=$?; done
exit "$status"
