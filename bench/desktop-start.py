#!/usr/bin/env python3
"""Cold start and idle memory of the desktop app, measured and printed (nothing asserted).

Each run starts the app with a fresh HOME under a private Xvfb and reads the app's own timing
log: "startup: the panel loaded N ms after the app started" (from `run` to the panel's first
page load: the signed-in Overview on screen). Ten seconds later it sums the proportional set
size (PSS, shared pages split between their users) of the app and the WebKit processes it
started, and of that the processes' own (anonymous) memory, then quits the app with SIGTERM.

Usage: bench/desktop-start.py APP_BINARY [RUNS]   (e.g. target/release/switchboard-app 5)
"""

import os
import pathlib
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

IDENTIFIER = "dev.switchboard.app"
LINE = re.compile(r"startup: the panel loaded (\d+) ms after the app started")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree(pid):
    """`pid` and every process below it."""
    children = {}
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        p = pending.pop()
        found.append(p)
        pending.extend(children.get(p, []))
    return found


def pss_kib(pid):
    """(PSS, of it the process's own anonymous memory), KiB."""
    found = {}
    try:
        for line in pathlib.Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("Pss", "Pss_Anon"):
                found[name] = int(value.split()[0])
    except OSError:
        pass
    return found.get("Pss", 0), found.get("Pss_Anon", 0)


def one_run(app, display, tmp):
    home = tmp / "home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "WAYLAND_"))}
    env.update({"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
                "XDG_DATA_HOME": str(home / ".local/share"), "DISPLAY": display,
                "SWITCHBOARD_PORT": str(free_port()), "NO_AT_BRIDGE": "1", "SWITCHBOARD_LOG": "info"})
    log = home / ".local/share" / IDENTIFIER / "logs" / "switchboard.log"
    started = time.monotonic()
    proc = subprocess.Popen([str(app)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        loaded = None
        while time.monotonic() - started < 60 and loaded is None:
            if log.exists() and (m := LINE.search(log.read_text())):
                loaded = int(m.group(1))
            time.sleep(0.02)
        wall = (time.monotonic() - started) * 1000
        time.sleep(10)
        by_process, anonymous = {}, 0
        for p in tree(proc.pid):
            try:
                name = pathlib.Path(f"/proc/{p}/comm").read_text().strip()
            except OSError:
                continue
            pss, anon = pss_kib(p)
            by_process[name] = by_process.get(name, 0) + pss / 1024
            anonymous += anon / 1024
        memory = sum(by_process.values())
        parts = [f"{name} {mib:.0f}" for name, mib in sorted(by_process.items(), key=lambda kv: -kv[1])]
        parts.append(f"own (anonymous) {anonymous:.0f}")
        return loaded, wall, memory, parts
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def main():
    app = pathlib.Path(sys.argv[1]).resolve()
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="switchboard-start-"))
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            pass_fds=[write_fd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as f:
        display = ":" + f.readline().strip()
    try:
        print(f"{app} ({app.stat().st_size / 2**20:.1f} MiB), {runs} cold starts with a fresh HOME on Xvfb {display}")
        loads, memories = [], []
        for n in range(1, runs + 1):
            loaded, wall, memory, names = one_run(app, display, tmp)
            loads.append(loaded)
            memories.append(memory)
            print(f"run {n}: panel loaded {loaded} ms after start (app's log; {wall:.0f} ms from spawn to "
                  f"seeing the line), idle PSS {memory:.0f} MiB ({', '.join(names)})", flush=True)
        timed = [x for x in loads if x is not None]
        if timed:
            print(f"median: panel loaded {statistics.median(timed):.0f} ms after start; "
                  f"idle PSS {statistics.median(memories):.0f} MiB")
    finally:
        xvfb.terminate()
        xvfb.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
