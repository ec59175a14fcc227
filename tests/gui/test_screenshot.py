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
    result = subprocess.run(
        [sys.executable, "-m", "labeler", "demo", "--screenshot", str(target)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    image = QImage(str(target))
    assert image.width() >= 800 and image.height() >= 500
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 17) for y in range(0, image.height(), 13)
    }
    assert len(colours) > 20  # text, table lines and panels, not one flat colour
    assert not list(tmp_path.glob("labeler-demo-*"))
