"""Labeler: the weekly loop from product feedback to signed label packs.

Only the version lives here; nothing heavy is imported at package import time.
"""

__version__ = "0.1.0"
