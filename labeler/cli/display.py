"""Can Qt open a window here? Checked before Qt loads: a missing display, an X server that
does not answer or missing X libraries is one sentence (exit 2), never Qt's abort (rc 134).

Nothing here imports Qt. The X libraries are read off the xcb platform plugin with ``ldd``
(plus libxcb-cursor, which Qt loads at run time); each missing one is named with the
Debian/Ubuntu package that provides it.
"""

from __future__ import annotations

import ctypes.util
import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

# soname -> Debian/Ubuntu package (the ones the xcb plugin needs beyond a base system).
PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
}
DESKTOP_PACKAGES = " ".join(sorted(set(PACKAGES.values())))
HEADLESS = ("offscreen", "minimal", "vnc", "eglfs", "linuxfb")


def display_problem(*, screenshot: bool) -> str | None:
    """The sentence that says why no window can open here, or None when one can."""
    if not sys.platform.startswith("linux"):
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if screenshot or platform.startswith(HEADLESS):
        return None
    if os.environ.get("WAYLAND_DISPLAY") and not platform.startswith("xcb"):
        return None  # Qt uses its wayland plugin (or falls back to X and says so itself)
    display = os.environ.get("DISPLAY")
    if not display:
        return (
            "There is no display to open the window on (DISPLAY is not set): render it to a "
            "file with --screenshot FILE.png, or run Labeler on a desktop."
        )
    if not _x_server_answers(display):
        return (
            f"No X server answers on DISPLAY={display}: start one (or unset DISPLAY), or "
            "render the window to a file with --screenshot FILE.png."
        )
    missing = missing_x_libraries()
    if missing:
        packages = " ".join(sorted({PACKAGES.get(name, name) for name in missing}))
        return (
            f"Qt cannot open a window: the X libraries {', '.join(missing)} are missing. "
            f"Install them with 'sudo apt-get install {packages}' (Debian/Ubuntu), or render "
            "the window to a file with --screenshot FILE.png."
        )
    return None


def _x_server_answers(display: str) -> bool:
    match = re.fullmatch(r"(?P<host>[^:]*):(?P<number>\d+)(\.\d+)?", display)
    if match is None:
        return True  # an unusual DISPLAY form: let Qt judge
    host, number = match.group("host"), int(match.group("number"))
    try:
        if host in ("", "unix"):
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(1)
                sock.connect(f"/tmp/.X11-unix/X{number}")
        else:
            socket.create_connection((host, 6000 + number), timeout=1).close()
    except OSError:
        return False
    return True


def _xcb_plugin() -> Path | None:
    spec = importlib.util.find_spec("PySide6")  # finds the package without importing Qt
    for folder in (spec.submodule_search_locations or []) if spec else []:
        plugin = Path(folder) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if plugin.exists():
            return plugin
    return None


def missing_x_libraries() -> list[str]:
    """Sonames the xcb plugin needs that this system cannot load."""
    missing = set()
    plugin = _xcb_plugin()
    ldd = shutil.which("ldd")
    if plugin is not None and ldd is not None:
        done = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=10)
        missing |= set(re.findall(r"^\s*(\S+) => not found", done.stdout, flags=re.M))
    if ctypes.util.find_library("xcb-cursor") is None:  # loaded by Qt at run time
        missing.add("libxcb-cursor.so.0")
    return sorted(missing)
