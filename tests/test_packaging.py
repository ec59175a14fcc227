"""The packaged app (PyInstaller one-folder build). Minutes long: run with ``pytest -m slow``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_build_app_runs_version_and_demo_screenshot(tmp_path: Path) -> None:
    pytest.importorskip("PyInstaller", reason="install the build extra: pip install -e '.[build]'")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    subprocess.run(
        [str(ROOT / "scripts" / "build-app")], cwd=ROOT, env=env, check=True, timeout=1800
    )
    app = ROOT / "dist" / "labeler" / "labeler"
    version = subprocess.run([str(app), "--version"], capture_output=True, text=True, check=True)
    assert "0.1.0" in version.stdout
    shot = tmp_path / "out.png"
    run_env = dict(
        env, QT_QPA_PLATFORM="offscreen", PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring"
    )
    subprocess.run(
        [str(app), "demo", "--screenshot", str(shot)], env=run_env, check=True, timeout=300
    )
    assert shot.stat().st_size > 20_000
