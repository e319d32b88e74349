#!/usr/bin/env python3
"""Package test: the .deb and .rpm that `tauri build` made of the desktop app.

Checks the .deb's control data and files (the binary, a valid desktop entry, icons); that every
shared library the binary links belongs to a package its declared dependencies bring in (so
`apt install ./Switchboard_*.deb` on a fresh Debian 12 pulls all of them); the .rpm's header and
files. Then, as root, installs the .deb with dpkg, runs the desktop smoke test against the
installed /usr/bin/switchboard-app, and removes the package again. Not root: the smoke test runs
the binary extracted from the .deb instead (said in a NOTE).

Usage: package.py BUNDLE_DIR (the folder with deb/ and rpm/). Python 3 standard library, and
dpkg, apt-cache, rpm and desktop-file-validate from Debian's packages.
"""

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from smoke import Failure, check, ok  # noqa: E402 - the smoke test's reporting, shared
PACKAGE = "switchboard"
BINARY = "usr/bin/switchboard-app"
# The gateway's own command, beside the app (the Deploy page builds images from it).
GATEWAY_COMMAND = "usr/bin/switchboard"
DESKTOP_ENTRY = "usr/share/applications/Switchboard.desktop"
ICON_SIZES = ("32x32", "128x128", "512x512")


def run(*args, **kwargs):
    return subprocess.run(args, check=True, text=True, capture_output=True, **kwargs).stdout


def one(folder, pattern):
    found = sorted(folder.glob(pattern))
    if len(found) != 1:
        raise Failure(f"expected one {pattern} in {folder}, found {[f.name for f in found]}")
    return found[0]


def depends_of(control_value):
    """Package names of a Depends field (alternatives and versions dropped)."""
    return [d.split("|")[0].split("(")[0].strip() for d in control_value.split(",") if d.strip()]


def dependency_closure(packages):
    """Every package the given ones bring in, by Depends and Pre-Depends, recursively."""
    out = run("apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
              "--no-breaks", "--no-replaces", "--no-enhances", *packages)
    closure = set()
    for line in out.splitlines():
        name = line.strip().split(":", 1)[-1].strip() if line.startswith(" ") else line.strip()
        closure.add(name.strip("<>").split(":")[0])
    return closure


def needed_packages(binary):
    """The packages that hold the shared libraries `binary` links (directly or not)."""
    owners = set()
    for line in run("ldd", str(binary)).splitlines():
        if "=>" not in line:
            continue
        path = line.split("=>", 1)[1].split("(")[0].strip()
        if not path or path == "not":
            raise Failure(f"{binary.name} links a library this machine does not have: {line.strip()}")
        real = os.path.realpath(path)
        for candidate in (path, real, real.replace("/usr/lib/", "/lib/", 1), path.replace("/lib/", "/usr/lib/", 1)):
            found = subprocess.run(["dpkg", "-S", candidate], text=True, capture_output=True)
            if found.returncode == 0:
                owners.add(found.stdout.split(":", 1)[0].strip())
                break
        else:
            raise Failure(f"no Debian package holds {path}")
    return owners


def check_deb(deb, root):
    fields = {}
    for line in run("dpkg-deb", "-f", str(deb)).splitlines():
        if ":" in line and not line.startswith(" "):
            key, value = line.split(":", 1)
            fields[key] = value.strip()
    check(fields.get("Package") == PACKAGE and fields.get("Architecture") == "amd64",
          f"{deb.name}: package {fields.get('Package')} {fields.get('Version')} for {fields.get('Architecture')}")
    depends = depends_of(fields.get("Depends", ""))
    for needed in ("libwebkit2gtk-4.1-0", "libgtk-3-0", "libdbus-1-3", "libayatana-appindicator3-1"):
        check(needed in depends, f"it depends on {needed}")

    run("dpkg-deb", "-x", str(deb), str(root))
    binary = root / BINARY
    check(binary.is_file() and os.access(binary, os.X_OK), f"it holds /{BINARY}")
    command = root / GATEWAY_COMMAND
    check(command.is_file() and os.access(command, os.X_OK), f"and /{GATEWAY_COMMAND}")
    version = subprocess.run([str(command), "--version"], capture_output=True, text=True, timeout=30)
    check(version.returncode == 0 and version.stdout.startswith("switchboard "), f"which runs: {version.stdout.strip()}")
    for size in ICON_SIZES:
        icon = root / f"usr/share/icons/hicolor/{size}/apps/switchboard-app.png"
        check(icon.is_file() and icon.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"and a {size} icon")
    entry = root / DESKTOP_ENTRY
    check(entry.is_file(), f"and a desktop entry, /{DESKTOP_ENTRY}")
    text = entry.read_text()
    for line in ("Exec=switchboard-app", "Icon=switchboard-app", "Name=Switchboard", "Type=Application"):
        check(line in text.splitlines(), f"the entry says {line}")
    problems = subprocess.run(["desktop-file-validate", str(entry)], text=True, capture_output=True)
    check(problems.returncode == 0 and "error" not in problems.stdout.lower(),
          f"desktop-file-validate finds nothing wrong {problems.stdout.strip()}")

    missing = (needed_packages(binary) | needed_packages(command)) - dependency_closure(depends)
    check(not missing, f"every library the binary links comes with its dependencies (missing: {sorted(missing)})")
    size = deb.stat().st_size / 2**20
    ok(f"{deb.name}: {size:.1f} MiB")


def check_rpm(rpm):
    query = lambda *q: run("rpm", "-qp", "--nosignature", *q, str(rpm))  # noqa: E731
    name = query("--queryformat", "%{NAME} %{VERSION} %{ARCH}").split()
    check(name[0] == PACKAGE and name[2] == "x86_64", f"{rpm.name}: package {' '.join(name)}")
    files = query("-l").split()
    for path in (BINARY, GATEWAY_COMMAND, DESKTOP_ENTRY):
        check(f"/{path}" in files, f"it holds /{path}")
    requires = query("--requires")
    for needed in ("libwebkit2gtk-4.1.so.0", "libgtk-3.so.0", "dbus-libs", "libayatana-appindicator3.so.1"):
        check(needed in requires, f"it requires {needed}")
    ok(f"{rpm.name}: {rpm.stat().st_size / 2**20:.1f} MiB")


def smoke(app):
    env = dict(os.environ, SWITCHBOARD_APP=str(app))
    result = subprocess.run([sys.executable, str(HERE / "smoke.py")], env=env)
    if result.returncode != 0:
        raise Failure(f"the desktop smoke test failed against {app}")
    ok(f"the desktop smoke test passed against {app}")


def main():
    bundle = pathlib.Path(sys.argv[1])
    deb = one(bundle / "deb", "*.deb")
    rpm = one(bundle / "rpm", "*.rpm")
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="switchboard-package-"))
    try:
        check_deb(deb, tmp / "root")
        check_rpm(rpm)
        if os.geteuid() != 0:
            print("NOTE - not root: the .deb is not installed; the smoke test runs its extracted binary", flush=True)
            smoke(tmp / "root" / BINARY)
            return
        run("dpkg", "-i", str(deb))
        status = run("dpkg-query", "-W", "-f", "${Status} ${Version}", PACKAGE)
        check(status.startswith("install ok installed"), f"dpkg -i installed it ({status})")
        problems = subprocess.run(["desktop-file-validate", f"/{DESKTOP_ENTRY}"], text=True, capture_output=True)
        check(problems.returncode == 0, "the installed desktop entry is valid")
        try:
            smoke(pathlib.Path("/") / BINARY)
        finally:
            run("dpkg", "-r", PACKAGE)
        check(not (pathlib.Path("/") / BINARY).exists(), "dpkg -r removed it again")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except Failure as e:
        print(f"not ok - {e}", flush=True)
        sys.exit(1)
    except subprocess.CalledProcessError as e:
        print(f"not ok - {' '.join(map(str, e.cmd))}: {e.stderr or e.stdout}", flush=True)
        sys.exit(1)
    print("package test passed", flush=True)
