"""Where shipped files live: the source tree, an installed wheel, or a PyInstaller bundle.

Every lookup of ``rubrics/`` or ``resources/`` goes through ``shipped_path``.
"""

from __future__ import annotations

import sys
from pathlib import Path


def _roots() -> list[Path]:
    roots = []
    bundle = getattr(sys, "_MEIPASS", None)  # set by PyInstaller's bootloader
    if bundle:
        roots.append(Path(bundle))
    here = Path(__file__).resolve().parent
    roots += [here.parent, Path(sys.prefix) / "share" / "labeler"]
    return roots


def shipped_path(*parts: str) -> Path:
    """The first existing ``<root>/<parts>``; raises FileNotFoundError naming what is missing."""
    for root in _roots():
        candidate = root.joinpath(*parts)
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"shipped file {'/'.join(parts)} is missing from this installation")


def default_rubric_path() -> Path:
    return shipped_path("rubrics", "default.yaml")
