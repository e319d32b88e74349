#!/usr/bin/env python3
"""Desktop smoke test: the built Switchboard app under Xvfb, driven through tauri-driver and
WebKitWebDriver (Debian's webkit2gtk-driver) over plain W3C WebDriver HTTP calls.

Checks: the window opens on the gateway's panel (/ui/) with window.__SWITCHBOARD__ injected and
the panel signed in; the gateway answers /health/liveliness and serves the remembered
config.yaml with the app's master key (kept in a 0600 file: there is no keychain service here);
the port falls through to the next free one when the first is taken; quitting stops the gateway
gracefully (the spend of a request is in the SQLite database afterwards). The app moves
the database of an earlier version to the gateway's data folder, and shares it and the key file
with `switchboard serve`: a key made in the app works there. Screenshots go to
target/desktop-screenshots/.

A second launch brings the first one's window forward and exits (single instance, over a
private D-Bus session bus). The tray icon registers with a tray host on that bus (a
StatusNotifierWatcher run by the test): its state, its menu, and its items work; closing the
window keeps the gateway running in the tray; Quit in the tray stops the gateway gracefully.

The app runs with a fresh HOME and XDG folders in a temporary directory and a private D-Bus
session bus that activates no services (so no keychain service: the master key goes to a 0600
file): the user's data, keychain, session bus and display are never touched.

Environment: SWITCHBOARD_APP (the app binary; default $CARGO_TARGET_DIR/debug/switchboard-app),
SWITCHBOARD_CLI (the gateway binary; default $CARGO_TARGET_DIR/debug/switchboard),
TAURI_DRIVER (default: on PATH, else /var/tmp/switchboard-tools/bin/tauri-driver),
TAURI_DRIVER_PORT (default 4444; the native port is the next one), KEEP_TMP=1 to keep the
temporary directory. Python 3 with dbus-next and python-xlib (tests/desktop/requirements.txt).
"""

import base64
import http.server
import http.client
import json
import os
import pathlib
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from tray import TrayHost, png_pixel
from x11 import Screen

REPO = pathlib.Path(__file__).resolve().parents[2]
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
APP = pathlib.Path(os.environ.get("SWITCHBOARD_APP") or TARGET / "debug" / "switchboard-app")
CLI = pathlib.Path(os.environ.get("SWITCHBOARD_CLI") or TARGET / "debug" / "switchboard")
DRIVER = (
    os.environ.get("TAURI_DRIVER")
    or shutil.which("tauri-driver")
    or "/var/tmp/switchboard-tools/bin/tauri-driver"
)
DRIVER_PORT = int(os.environ.get("TAURI_DRIVER_PORT", "4444"))
NATIVE_PORT = DRIVER_PORT + 1
SHOTS = REPO / "target" / "desktop-screenshots"
IDENTIFIER = "dev.switchboard.app"  # tauri.conf.json: names the app's folders


class Failure(Exception):
    pass


def ok(message):
    print(f"ok - {message}", flush=True)


def check(condition, message):
    if not condition:
        raise Failure(message)
    ok(message)


def wait_for(what, probe, timeout=30.0, interval=0.25):
    """Polls `probe` until it returns a truthy value; fails with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = probe()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - polled again until the deadline
            last_error = e
        time.sleep(interval)
    raise Failure(f"timed out after {timeout:.0f} s waiting for {what}" + (f" (last error: {last_error})" if last_error else ""))


def port_is_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def request(method, url, body=None, headers=None, timeout=30):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class WebDriver:
    """The few W3C WebDriver endpoints the test needs."""

    def __init__(self, base):
        self.base = base
        self.session = None

    def call(self, method, path, body=None, timeout=60):
        status, raw = request(method, f"{self.base}{path}", body, timeout=timeout)
        value = json.loads(raw or b"{}").get("value") if raw else None
        if status != 200:
            raise Failure(f"WebDriver {method} {path}: HTTP {status}: {raw[:500]!r}")
        return value

    def start(self, capabilities):
        # tauri-driver accepts connections a moment before its WebKitWebDriver does: a first
        # session request can be dropped without an answer (seen on a cold machine).
        for attempt in range(3):
            try:
                value = self.call("POST", "/session", {"capabilities": {"alwaysMatch": capabilities}}, timeout=90)
                break
            except (ConnectionError, http.client.HTTPException) as e:
                if attempt == 2:
                    raise Failure(f"WebDriver POST /session: {e!r} three times")
                time.sleep(2)
        self.session = value["sessionId"]
        return value

    def s(self, method, path, body=None, timeout=60):
        return self.call(method, f"/session/{self.session}{path}", body, timeout)

    def url(self):
        return self.s("GET", "/url")

    def script(self, source, *args):
        return self.s("POST", "/execute/sync", {"script": source, "args": list(args)})

    def find(self, css):
        """Whether an element matches `css` (no script: the panel's CSP forbids eval, which
        WebKitWebDriver's script execution needs)."""
        status, raw = request("POST", f"{self.base}/session/{self.session}/element",
                              {"using": "css selector", "value": css})
        return status == 200

    def find_xpath(self, xpath):
        status, raw = request("POST", f"{self.base}/session/{self.session}/element",
                              {"using": "xpath", "value": xpath})
        return status == 200

    def navigate(self, url):
        return self.s("POST", "/url", {"url": url})

    def async_script(self, source, *args):
        return self.s("POST", "/execute/async", {"script": source, "args": list(args)})

    def screenshot(self, path):
        path.write_bytes(base64.b64decode(self.s("GET", "/screenshot")))


class FakeOpenAI(http.server.BaseHTTPRequestHandler):
    """An OpenAI-compatible upstream answering every chat completion with a fixed reply."""

    def do_POST(self):  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        body = json.dumps({
            "id": "chatcmpl-desktop-smoke",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.get("model", "gpt-4o-mini"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "pong"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def start_xvfb(tmp):
    """A private X server on a free display; returns (process, display)."""
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=[write_fd],
        stdout=subprocess.DEVNULL,
        stderr=open(tmp / "xvfb.log", "wb"),
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as f:
        number = f.readline().strip()
    if not number:
        raise Failure(f"Xvfb did not start (see {tmp / 'xvfb.log'})")
    return proc, f":{number}"


# A session bus like a desktop's, but that starts no services (no keychain, no portal).
SESSION_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def start_session_bus(tmp):
    """A private D-Bus session bus; returns (process, address)."""
    config = tmp / "session-bus.conf"
    (tmp / "bus").mkdir(mode=0o700)
    config.write_text(SESSION_BUS_CONFIG.format(dir=tmp / "bus"))
    proc = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE, stderr=open(tmp / "dbus.log", "wb"), text=True,
    )
    address = proc.stdout.readline().strip()
    if not address:
        raise Failure(f"dbus-daemon did not start (see {tmp / 'dbus.log'})")
    return proc, address


def descendants(pid):
    """PIDs of the processes below `pid` (Linux /proc)."""
    children = {}
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def stop_process(proc, name, timeout=20):
    """SIGTERM, then wait (tauri-driver must never be SIGKILLed: its WebKitWebDriver would keep
    the port)."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"warning: {name} (pid {proc.pid}) did not stop within {timeout} s", file=sys.stderr)


def main():
    for tool, hint in [
        (str(APP), "build it: cargo build -p switchboard-app"),
        (DRIVER, "install it: cargo install tauri-driver --locked --root /var/tmp/switchboard-tools"),
    ]:
        if not os.access(tool, os.X_OK):
            raise Failure(f"{tool} not found; {hint}")
    if not shutil.which("WebKitWebDriver"):
        raise Failure("WebKitWebDriver not found; apt-get install webkit2gtk-driver")
    for port in (DRIVER_PORT, NATIVE_PORT):
        if not port_is_free(port):
            raise Failure(f"port {port} is taken (a tauri-driver or WebKitWebDriver left running?); "
                          "set TAURI_DRIVER_PORT to use others")

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="switchboard-desktop-"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    procs = {}
    driver = None
    tray_host = None
    passed = False
    try:
        # A fresh user: HOME, XDG folders, a private runtime folder, no D-Bus session (so no
        # keychain service: the master key goes to the 0600 file).
        home = tmp / "home"
        xdg = {
            "XDG_CONFIG_HOME": home / ".config",
            "XDG_DATA_HOME": home / ".local" / "share",
            "XDG_CACHE_HOME": home / ".cache",
            "XDG_STATE_HOME": home / ".local" / "state",
            "XDG_RUNTIME_DIR": tmp / "runtime",
        }
        for d in xdg.values():
            d.mkdir(parents=True, mode=0o700)
        config_dir = xdg["XDG_CONFIG_HOME"] / IDENTIFIER
        # The gateway's data folder, shared with `switchboard serve`.
        data_dir = xdg["XDG_DATA_HOME"] / "switchboard"
        # An earlier version kept its database in the app's own folder: it moves on start.
        legacy_dir = xdg["XDG_DATA_HOME"] / IDENTIFIER
        legacy_dir.mkdir(parents=True, mode=0o700)
        with sqlite3.connect(legacy_dir / "switchboard.db") as db:
            db.execute("CREATE TABLE earlier_version (note TEXT)")
            db.execute("INSERT INTO earlier_version VALUES ('kept')")

        upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
        threading.Thread(target=upstream.serve_forever, daemon=True).start()
        upstream_port = upstream.server_address[1]

        # The config.yaml remembered from an earlier "Choose config.yaml…": one alias on the
        # fake upstream; spend is written only at shutdown (batch interval of an hour).
        config = tmp / "config.yaml"
        config.write_text(
            "model_list:\n"
            "  - model_name: desktop-smoke\n"
            "    litellm_params:\n"
            "      model: openai/gpt-4o-mini\n"
            f"      api_base: http://127.0.0.1:{upstream_port}/v1\n"
            "      api_key: sk-upstream-fake\n"
            "general_settings:\n"
            "  proxy_batch_write_at: 3600\n"
        )
        # The first port (the Settings page's) is taken: the gateway must listen on a later one.
        blocker = socket.socket()
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken_port = blocker.getsockname()[1]
        config_dir.mkdir(parents=True, mode=0o700)
        settings_file = config_dir / "settings.json"
        settings_file.write_text(json.dumps({"config_path": str(config), "port": taken_port}))

        env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "WAYLAND_"))}
        env.update({k: str(v) for k, v in xdg.items()})
        env.update({
            "HOME": str(home),
            "NO_AT_BRIDGE": "1",
        })
        # The gateway would take these over its own defaults, and these over the Settings page's.
        for name in ("LITELLM_MASTER_KEY", "DATABASE_URL", "SWITCHBOARD_PORT", "SWITCHBOARD_LOG", "RUST_LOG"):
            env.pop(name, None)

        if not shutil.which("dbus-daemon"):
            raise Failure("no dbus-daemon: apt-get install dbus")
        procs["dbus"], bus = start_session_bus(tmp)
        env["DBUS_SESSION_BUS_ADDRESS"] = bus
        ok(f"private session bus {bus}")
        # The desktop's tray host, up before the app as on a desktop.
        tray_host = TrayHost(bus)

        if shutil.which("Xvfb"):
            procs["xvfb"], display = start_xvfb(tmp)
        elif os.environ.get("DISPLAY"):
            display = os.environ["DISPLAY"]
        else:
            raise Failure("no X server: apt-get install xvfb (or set DISPLAY)")
        env["DISPLAY"] = display
        ok(f"X display {display}")

        driver_log = open(tmp / "tauri-driver.log", "wb")
        procs["tauri-driver"] = subprocess.Popen(
            [DRIVER, "--port", str(DRIVER_PORT), "--native-port", str(NATIVE_PORT)],
            env=env, stdout=driver_log, stderr=subprocess.STDOUT,
        )
        driver = WebDriver(f"http://127.0.0.1:{DRIVER_PORT}")
        wait_for("tauri-driver", lambda: listening(DRIVER_PORT), timeout=20)

        started = time.monotonic()
        driver.start({"tauri:options": {"application": str(APP)}})
        ok(f"WebDriver session {driver.session}")

        url = wait_for("the window to show the panel at /ui/",
                       lambda: (u := driver.url()).startswith("http://127.0.0.1:") and "/ui/" in u and u, timeout=60)
        origin = url.split("/ui/")[0]
        port = int(origin.rsplit(":", 1)[1])
        ok(f"the window opened on the panel: {url} ({time.monotonic() - started:.1f} s)")
        check(taken_port < port <= taken_port + 50, f"port {taken_port} was taken; the gateway listens on {port}")

        def panel_state():
            if driver.find('[data-testid="signed-in-local"]'):
                return "signed-in"
            if driver.find('[data-testid="signin-form"]'):
                return "sign-in-form"
            if driver.find("h1.not-built"):
                return "placeholder"
            return None
        state = wait_for("the panel to render", panel_state, timeout=30)
        if state == "placeholder":
            print("NOTE - this build embeds no panel (ui/dist): the gateway shows its placeholder page; "
                  "build the panel (make ui) before the app to check the signed-in panel", flush=True)
        else:
            check(state == "signed-in", "the panel is signed in (no sign-in form)")

        # The panel runs under a strict Content-Security-Policy (no eval), and WebKitWebDriver's
        # script execution needs eval: the checks that need a script run on a page of the same
        # origin served without one. The session is injected there too.
        driver.navigate(f"{origin}/health/readiness")
        wait_for("the readiness page", lambda: driver.url().endswith("/health/readiness"), timeout=30)
        injected = driver.script(
            "const s = window.__SWITCHBOARD__;"
            "return s ? {url: s.url, masterKey: s.masterKey, desktop: s.desktop, frozen: Object.isFrozen(s)} : null;"
        )
        check(injected is not None, "window.__SWITCHBOARD__ is injected")
        check(injected["url"] == origin and injected["desktop"] is True and injected["frozen"],
              f"window.__SWITCHBOARD__ = {{url: {injected['url']!r}, desktop: true, masterKey: sk-…}} (frozen)")

        key_file = data_dir / "master_key"
        check(key_file.exists(), f"no keychain service: the master key is in {key_file}, shared with switchboard serve")
        check(stat.S_IMODE(key_file.stat().st_mode) == 0o600, "the key file's mode is 0600")
        master_key = key_file.read_text().strip()
        check(master_key.startswith("sk-") and len(master_key) == 35, "the master key is sk- and 32 characters")
        check(injected["masterKey"] == master_key, "the panel got the stored master key")

        # The panel's Settings page talks to the app over IPC: the gateway's pages may call the
        # settings commands (a remote capability), and not the app page's own.
        def invoke(command, args=None):
            return driver.async_script(
                "const done = arguments[arguments.length - 1];"
                "window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1] || {})"
                ".then(v => done({ok: v}), e => done({error: String(e)}));", command, args or {})
        got = invoke("app_settings")
        check("ok" in got, f"the gateway's page reads the app's settings over IPC ({str(got)[:200]})")
        app_settings = got["ok"]
        check(app_settings["gateway"]["url"] == origin and app_settings["port"] == taken_port
              and app_settings["portFromEnvironment"] is None,
              f"they say where the gateway runs ({origin}) and the port it tries first ({taken_port})")
        locations = app_settings["locations"]
        check(locations["database"] == str(data_dir / "switchboard.db") and locations["masterKey"] == str(key_file)
              and locations["settingsFile"] == str(settings_file) and locations["dataFolder"] == str(data_dir),
              f"and where the data and the key live: {locations}")
        check(app_settings["logLevel"] == "info" and app_settings["trayAvailable"] and app_settings["closeToTray"]
              and not app_settings["startAtLogin"], "log level info, a tray, close to tray on, no start at login")
        refused = invoke("start_gateway")
        check("not allowed" in refused.get("error", ""),
              f"the app page's command is refused to the gateway's page: {refused.get('error')!r}")
        refused = invoke("change_app_settings", {"change": {"port": 80}})
        check("administrator rights" in refused.get("error", ""), f"port 80 is refused: {refused.get('error')!r}")
        check(json.loads(settings_file.read_text()).get("port") == taken_port, "and not saved")
        # The level applies at once: the line saying "warn" is itself below it, "info" is not.
        invoke("change_app_settings", {"change": {"logLevel": "warn"}})
        new_port = free_port()
        changed = invoke("change_app_settings", {"change": {"logLevel": "info", "port": new_port}})
        check(changed.get("ok", {}).get("port") == new_port and changed["ok"]["gateway"]["url"] == origin,
              f"a new port ({new_port}) is taken; the gateway stays on {origin} until it restarts")
        saved = json.loads(settings_file.read_text())
        check(saved.get("port") == new_port and saved.get("log_level") == "info"
              and saved.get("config_path") == str(config), f"both are saved, the rest kept: {saved}")
        app_log_text = (xdg["XDG_DATA_HOME"] / IDENTIFIER / "logs" / "switchboard.log").read_text()
        check("log level: info" in app_log_text and "log level: warn" not in app_log_text,
              "the log level applied at once (the line at info was dropped while the level was warn)")

        # The key works from inside the window, against the gateway's admin API.
        api = driver.async_script(
            "const done = arguments[arguments.length - 1];"
            "const s = window.__SWITCHBOARD__;"
            "fetch(s.url + '/v1/models', {headers: {Authorization: 'Bearer ' + s.masterKey}})"
            ".then(r => r.json().then(b => done({status: r.status, ids: (b.data || []).map(m => m.id)})))"
            ".catch(e => done({error: String(e)}));"
        )
        check(api.get("status") == 200 and "desktop-smoke" in api.get("ids", []),
              f"from the window, GET /v1/models with the master key lists the remembered config's model: {api}")

        check(not (legacy_dir / "switchboard.db").exists(), "the earlier version's database left the app's folder")
        with sqlite3.connect(data_dir / "switchboard.db") as db:
            kept = db.execute("SELECT note FROM earlier_version").fetchone()[0]
        check(kept == "kept", f"and is the database in {data_dir} now, its rows kept")

        status, body = request("POST", f"{origin}/key/generate", {"key_alias": "made-in-the-app"},
                               headers={"Authorization": f"Bearer {master_key}"})
        check(status == 200, f"a virtual key made in the app ({status})")
        app_made_key = json.loads(body)["key"]

        # The packages carry the gateway's own Linux binary beside the app: the Deploy page builds
        # the image from it (the app's binary links WebKitGTK and cannot go into an image).
        status, body = request("GET", f"{origin}/deploy/options", headers={"Authorization": f"Bearer {master_key}"})
        build = json.loads(body)["image_build"] if status == 200 else {}
        beside = APP.parent / "switchboard"
        if beside.is_file():
            check(build.get("available") and build.get("binary") == str(beside) and build.get("cpu_architecture") == "X86_64",
                  f"the app builds deploy images from {beside} ({build})")
            version = subprocess.run([str(beside), "--version"], capture_output=True, text=True, timeout=30)
            check(version.returncode == 0 and version.stdout.startswith("switchboard "),
                  f"which runs: {version.stdout.strip()}")
        else:
            check(not build.get("available") and "beside" in (build.get("reason") or ""),
                  f"without a switchboard beside the app, the Deploy page says why it cannot build: {build}")

        # One instance: a second launch hands over to this one and exits; no second gateway.
        app_log = xdg["XDG_DATA_HOME"] / IDENTIFIER / "logs" / "switchboard.log"
        gateways_started = app_log.read_text().count("gateway listening on")
        started = time.monotonic()
        second = subprocess.run([str(APP)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        check(second.returncode == 0, f"a second launch exits at once ({second.returncode}, "
                                      f"{time.monotonic() - started:.1f} s)")
        wait_for("the first app to hear of the second launch",
                 lambda: "a second launch" in app_log.read_text(), timeout=15)
        ok("the running app brought its window to the front")
        check(app_log.read_text().count("gateway listening on") == gateways_started,
              "the second launch started no gateway")

        status, body = request("GET", f"{origin}/health/liveliness")
        check(status == 200 and "I'm alive!" in body.decode(), f"GET {origin}/health/liveliness: {body.decode().strip()}")

        status, body = request("GET", f"{origin}/v1/models", headers={"Authorization": "Bearer sk-wrong"})
        check(status in (401, 403), f"a wrong key is refused ({status})")

        status, body = request("POST", f"{origin}/v1/chat/completions",
                            {"model": "desktop-smoke", "messages": [{"role": "user", "content": "ping"}]},
                            headers={"Authorization": f"Bearer {master_key}"})
        check(status == 200 and json.loads(body)["choices"][0]["message"]["content"] == "pong",
              "a chat completion through the gateway reaches the config's upstream")

        # The app's own page (shown while the gateway is stopped) runs under the app's CSP: its
        # script still runs and reaches the shell over IPC (it says the gateway is running).
        driver.navigate("tauri://localhost/index.html")
        running = wait_for("the app's page to ask the shell for the gateway's state", lambda: driver.find_xpath(
            "//h1[@id='heading' and contains(., 'The gateway is running')]"), timeout=30)
        check(running, "the app's own page runs its script under its CSP and talks to the shell")

        driver.navigate(f"{origin}/ui/")
        wait_for("the panel again", panel_state, timeout=30)
        wait_for("the overview to render", lambda: driver.find('[data-testid="page-overview"]'), timeout=30)
        time.sleep(1.5)  # the X server shows what the webview last painted
        # The screen, not WebDriver's screenshot: WebKitWebDriver's screenshot of a page under a
        # strict CSP (the panel's, the app page's) can take the driver down.
        importer = "/usr/bin/import" if os.access("/usr/bin/import", os.X_OK) else None
        if importer and "xvfb" in procs:
            subprocess.run([importer, "-display", display, "-window", "root", str(SHOTS / "desktop.png")],
                           check=False, timeout=30)
            ok(f"screen screenshot (menu bar included): {SHOTS / 'desktop.png'}")

        # The Settings page (in the app's window only): the settings above, the pending move.
        driver.navigate(f"{origin}/ui/#/settings")
        wait_for("the Settings page", lambda: driver.find('[data-testid="settings-gateway"]'), timeout=30)
        check(driver.find_xpath(f"//code[@data-testid='settings-database' and .='{data_dir / 'switchboard.db'}']")
              and driver.find_xpath(f"//*[@data-testid='settings-port-pending' and contains(., '{new_port}')]"),
              "the Settings page shows the database and that the gateway moves to the new port at its restart")
        if importer and "xvfb" in procs:
            time.sleep(1.0)
            subprocess.run([importer, "-display", display, "-window", "root", str(SHOTS / "settings.png")],
                           check=False, timeout=30)
            ok(f"screenshot of the Settings page: {SHOTS / 'settings.png'}")

        # The tray icon: registered with the tray host, in the gateway's state, with its menu.
        item = tray_host.wait_for_item()
        check(item is not None, f"the tray icon registered with the tray host: {item}")
        props = tray_host.properties(item)
        check(props.get("Status") == "Active", f"the icon is shown: Status={props.get('Status')}, "
                                               f"Title={props.get('Title')}, Id={props.get('Id')}")

        def menu_labels():
            return [e["label"] for e in tray_host.menu(item) if e["type"] != "separator"]

        def icon_dot():
            now = tray_host.properties(item)
            named = pathlib.Path(now["IconName"])
            icon = named if named.is_absolute() else pathlib.Path(now["IconThemePath"]) / f"{named}.png"
            return png_pixel(icon.read_bytes(), 27, 27)[:3]

        expected = [f"Gateway: running on {origin}", "Start gateway", "Stop gateway", "Restart gateway",
                    "Open panel", "Copy base URL", "Copy client snippet (Python)", "Open log", "Start at login",
                    "Keep running when the window closes", "Quit Switchboard"]
        check(menu_labels() == expected, f"its menu: {menu_labels()}")
        enabled = {e["label"]: e["enabled"] for e in tray_host.menu(item)}
        check(not enabled["Start gateway"] and enabled["Stop gateway"], "Start is off and Stop on while it runs")
        check(icon_dot() == (0x16, 0xa3, 0x4a), f"the icon's dot is green while it runs {icon_dot()}")

        # The window's place and size, remembered at quit (set here as a user drags it).
        driver.s("POST", "/window/rect", {"x": 40, "y": 30, "width": 1000, "height": 700})
        rect = driver.s("GET", "/window/rect")
        ok(f"the window moved and resized to {rect}")

        # Closing the window keeps the app and its gateway running in the tray.
        screen = Screen(display)
        windows = wait_for("the app's window on the X server", lambda: screen.windows("Switchboard — "), timeout=10)
        screen.close(windows[0])
        wait_for("the window to hide", lambda: not any(screen.shown(w) for w in screen.windows("Switchboard — ")),
                 timeout=15)
        status, _ = request("GET", f"{origin}/health/liveliness")
        check(status == 200, "closing the window hid it; the gateway still answers")
        tray_host.click(item, "Open panel")
        wait_for("the window to come back", lambda: any(screen.shown(w) for w in screen.windows("Switchboard — ")),
                 timeout=15)
        ok("the tray's Open panel shows the window again")

        # The tray's two settings: start at login, and whether closing the window keeps it running.
        def checked(label):
            return next(e["checked"] for e in tray_host.menu(item) if e["label"] == label)
        autostart = home / ".config" / "autostart" / "Switchboard.desktop"
        check(not checked("Start at login") and not autostart.exists(), "Start at login is off at first")
        tray_host.click(item, "Start at login")
        wait_for("the autostart entry", autostart.exists, timeout=10)
        check(f"Exec={APP}" in autostart.read_text() and checked("Start at login"),
              f"Start at login writes {autostart} naming the app, and is checked")
        tray_host.click(item, "Start at login")
        wait_for("the autostart entry to go", lambda: not autostart.exists(), timeout=10)
        ok("clicked again, it removes the entry")
        check(checked("Keep running when the window closes"), "Keep running when the window closes is on by default")
        tray_host.click(item, "Keep running when the window closes")
        wait_for("the setting to be saved",
                 lambda: json.loads(settings_file.read_text()).get("close_to_tray") is False, timeout=10)
        check(not checked("Keep running when the window closes"), "turned off in the tray, it is saved off")
        tray_host.click(item, "Keep running when the window closes")
        wait_for("the setting to be saved", lambda: json.loads(settings_file.read_text())["close_to_tray"], timeout=10)
        remembered = json.loads(settings_file.read_text())
        check(remembered.get("config_path") == str(config), "the other settings are kept")

        # Stop and Start from the tray; the icon and the menu follow.
        tray_host.click(item, "Stop gateway")
        wait_for("the gateway to stop", lambda: not listening(port), timeout=30)
        wait_for("the tray to say so", lambda: "Gateway: stopped" in menu_labels(), timeout=10)
        check(icon_dot() == (0x8a, 0x8f, 0x98), f"Stop in the tray stopped the gateway; the dot is grey {icon_dot()}")
        tray_host.click(item, "Start gateway")
        line = wait_for("the gateway to run again", lambda: next(
            (label for label in menu_labels() if label.startswith("Gateway: running on ")), None), timeout=30)
        origin = line.removeprefix("Gateway: running on ")
        port = int(origin.rsplit(":", 1)[1])
        check(listening(port) and icon_dot() == (0x16, 0xa3, 0x4a), f"Start in the tray: {line}, the dot green")
        check(port == new_port, f"the gateway started on the port chosen in Settings ({new_port})")
        wait_for("the window on the new address",
                 lambda: screen.windows(f"Switchboard — {origin}"), timeout=30)
        ok("the window shows the panel at the new address")

        # Quit in the tray stops the gateway gracefully: in-flight requests end, spend is written.
        app_pids = [p for p in descendants(procs["tauri-driver"].pid)
                    if pathlib.Path(f"/proc/{p}/exe").resolve() == APP.resolve()]
        check(len(app_pids) == 1, f"the app runs as pid {app_pids[0] if app_pids else None}")
        tray_host.click(item, "Quit Switchboard")

        def gone(pid):
            try:
                return pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
            except OSError:
                return True
        wait_for("the app to quit", lambda: gone(app_pids[0]) and not listening(port), timeout=45)
        ok("Quit in the tray ended the app and the gateway no longer listens")
        placement = json.loads(settings_file.read_text()).get("window") or {}
        check((placement.get("width"), placement.get("height")) == (rect["width"], rect["height"]),
              f"the window's size was remembered: {placement}")
        log = (xdg["XDG_DATA_HOME"] / IDENTIFIER / "logs" / "switchboard.log").read_text()
        check("gateway stopped; spend written to the database" in log, "the app log shows the graceful stop")
        check(master_key not in log, "the master key is not in the log")

        with sqlite3.connect(data_dir / "switchboard.db") as db:
            rows = db.execute("SELECT COUNT(*) FROM spend_logs").fetchone()[0]
        check(rows >= 1, f"the request's spend was flushed to {data_dir / 'switchboard.db'} at shutdown ({rows} row)")

        # Started again: the window opens where it was left; SIGTERM quits as gracefully.
        first_log = app_log.stat().st_ino
        procs["again"] = subprocess.Popen([str(APP)], env=env, stdout=open(tmp / "again.log", "wb"),
                                          stderr=subprocess.STDOUT)
        wait_for("the app to start again (in a new log file)", lambda: app_log.exists()
                 and app_log.stat().st_ino != first_log and "gateway listening on" in app_log.read_text(), timeout=60)
        window = wait_for("its window", lambda: next(iter(screen.windows("Switchboard — ")), None), timeout=30)
        geometry = window.get_geometry()
        check((geometry.width, geometry.height) == (placement["width"], placement["height"]),
              f"the window opens at its remembered size {geometry.width}x{geometry.height}")
        check(f"gateway listening on http://127.0.0.1:{new_port}" in app_log.read_text(),
              f"started again, the gateway listens on the port of the settings ({new_port})")
        procs["again"].send_signal(signal.SIGTERM)
        procs["again"].wait(timeout=45)
        check("gateway stopped; spend written to the database" in app_log.read_text(),
              "on SIGTERM the app stops the gateway gracefully and quits")
        procs.pop("again")

        # `switchboard serve` as the same user: the same database and master key by default.
        if CLI.exists():
            cli_port = free_port()
            cli_env = {k: v for k, v in env.items() if k != "SWITCHBOARD_PORT"}
            cli_log = open(tmp / "serve.log", "wb")
            procs["serve"] = subprocess.Popen(
                [str(CLI), "serve", "--config", str(config), "--host", "127.0.0.1", "--port", str(cli_port)],
                env=cli_env, stdout=cli_log, stderr=subprocess.STDOUT,
            )
            wait_for("switchboard serve", lambda: listening(cli_port), timeout=60)
            cli = f"http://127.0.0.1:{cli_port}"
            status, body = request("GET", f"{cli}/v1/models", headers={"Authorization": f"Bearer {app_made_key}"})
            check(status == 200 and "desktop-smoke" in body.decode(),
                  f"switchboard serve takes the key made in the app ({status})")
            status, body = request("GET", f"{cli}/key/list", headers={"Authorization": f"Bearer {master_key}"})
            check(status == 200, f"and the app's master key ({status})")
            stop_process(procs.pop("serve"), "switchboard serve")
            served = (tmp / "serve.log").read_text()
            check("made one" not in served, "switchboard serve made no master key of its own")
        else:
            print(f"NOTE - {CLI} is not built: the shared data folder is not checked against switchboard serve",
                  flush=True)
        passed = True
    finally:
        if driver and driver.session:
            try:
                driver.call("DELETE", f"/session/{driver.session}", timeout=30)
            except Exception:  # noqa: BLE001 - the app may be gone already
                pass
        stop_process(procs.get("again"), "the app")
        stop_process(procs.get("serve"), "switchboard serve")
        stop_process(procs.get("tauri-driver"), "tauri-driver")
        if tray_host is not None:
            tray_host.close()
        stop_process(procs.get("dbus"), "dbus-daemon")
        stop_process(procs.get("xvfb"), "Xvfb")
        if passed and os.environ.get("KEEP_TMP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"# logs and app data kept in {tmp}", flush=True)
        for port in (DRIVER_PORT, NATIVE_PORT):
            if not port_is_free(port):
                print(f"warning: port {port} is still taken after the test", file=sys.stderr)


if __name__ == "__main__":
    # `timeout` and Ctrl-C end the test through the `finally` above (SIGTERM to tauri-driver).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        main()
    except Failure as e:
        print(f"not ok - {e}", flush=True)
        sys.exit(1)
    print("desktop smoke test passed", flush=True)
