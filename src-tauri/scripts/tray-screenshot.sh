#!/usr/bin/env bash
# Screenshots of the app's tray icon and its menu under Xvfb, with trayer (an XEmbed tray
# host from Debian: apt-get install trayer xdotool) and a private session bus without a
# StatusNotifierWatcher, so that libayatana-appindicator shows the icon through XEmbed.
# Usage: tray-screenshot.sh APP_BINARY OUT_DIR
set -euo pipefail
app=${1:?the app binary}
out=${2:?a folder for the screenshots}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

Xvfb :97 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
export DISPLAY=:97
sleep 1
dbus-daemon --session --nofork --address="unix:path=$tmp/bus" 2>/dev/null &
export DBUS_SESSION_BUS_ADDRESS="unix:path=$tmp/bus"
sleep 0.5
trayer --edge top --align right --widthtype pixel --width 120 --height 32 --tint 0x202530 --transparent false \
	>/dev/null 2>&1 &
sleep 1
HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" XDG_DATA_HOME="$tmp/home/.local/share" \
	SWITCHBOARD_PORT=47123 NO_AT_BRIDGE=1 "$app" >"$tmp/app.log" 2>&1 &
for _ in $(seq 60); do curl -sf http://127.0.0.1:47123/health/liveliness >/dev/null && break; sleep 0.5; done
sleep 3
import -window root -crop 420x90+860+0 "$out/tray-icon.png"
# The icon sits in trayer's panel at the top right: a click opens its menu.
xdotool mousemove 1262 16 click 1
sleep 1.5
import -window root -crop 520x380+760+0 "$out/tray-menu.png"
echo "screenshots: $out/tray-icon.png $out/tray-menu.png"
