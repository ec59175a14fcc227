"""Whether a window can open is decided before Qt loads: each reason is one sentence."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from labeler.cli.display import PACKAGES, display_problem, missing_x_libraries


@pytest.fixture
def fake_x_server(monkeypatch: pytest.MonkeyPatch) -> str:
    """A listening socket where an X server's would be (it answers the connect only)."""
    folder = Path("/tmp/.X11-unix")
    try:
        folder.mkdir(exist_ok=True)
    except OSError:
        pytest.skip("cannot create /tmp/.X11-unix here")
    number = next(n for n in range(90, 200) if not (folder / f"X{n}").exists())
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / f"X{number}"))
    server.listen(1)
    monkeypatch.setenv("DISPLAY", f":{number}")
    for name in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    yield f":{number}"
    server.close()
    os.unlink(folder / f"X{number}")


def test_missing_x_libraries_are_named_with_their_packages(fake_x_server: str) -> None:
    missing = missing_x_libraries()
    problem = display_problem(screenshot=False)
    if not missing:
        assert problem is None
        return
    assert problem is not None and "apt-get install" in problem
    for name in missing:
        assert name in problem and PACKAGES.get(name, name) in problem


def test_a_screenshot_or_offscreen_needs_no_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    assert display_problem(screenshot=True) is None
    assert "DISPLAY is not set" in (display_problem(screenshot=False) or "")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert display_problem(screenshot=False) is None
