"""Rendering evidence: line alignment, diffs and HTML for the item views (no Qt)."""
