"""``labeler demo --screenshot`` renders the real main window offscreen to a non-blank PNG."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage


def test_demo_screenshot_is_a_non_blank_png(tmp_path: Path) -> None:
    target = tmp_path / "shot.png"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABELER_")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["TMPDIR"] = str(tmp_path)  # the throwaway demo workspace must be cleaned up
    home = tmp_path / "home"
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    env["XDG_DATA_HOME"] = str(home / ".local" / "share")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "labeler",
            "demo",
            "--screenshot",
            str(target),
            "--size",
            "1920x1080",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    image = QImage(str(target))
    assert (image.width(), image.height()) == (1920, 1080)
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 17) for y in range(0, image.height(), 13)
    }
    assert len(colours) > 20  # text, table lines and panels, not one flat colour
    assert not list(tmp_path.glob("labeler-demo-*"))
    # Nothing in the user's own settings or data folders either.
    assert not [p for p in home.rglob("*") if p.is_file()] if home.exists() else True


def _no_display_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABELER_", "QT_QPA"))}
    env.pop("WAYLAND_DISPLAY", None)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["TMPDIR"] = str(tmp_path)
    return env


def test_demo_without_a_display_is_one_sentence_not_an_abort(tmp_path: Path) -> None:
    env = _no_display_env(tmp_path)
    env.pop("DISPLAY", None)
    result = subprocess.run(
        [sys.executable, "-m", "labeler", "demo"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 2, result.stderr
    assert "no display" in result.stderr and "--screenshot" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.glob("labeler-demo-*"))  # nothing was built


def test_a_display_nobody_answers_is_one_sentence(tmp_path: Path) -> None:
    env = _no_display_env(tmp_path)
    env["DISPLAY"] = ":97"  # no X server there
    result = subprocess.run(
        [sys.executable, "-m", "labeler", "gui", "--workspace", str(tmp_path / "w.lbw")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 2, result.stderr
    assert "No X server answers on DISPLAY=:97" in result.stderr
    assert not (tmp_path / "w.lbw").exists()
