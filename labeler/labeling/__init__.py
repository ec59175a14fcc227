"""Labeling: the rubric, the labeling session (save, undo, restricted access), redaction."""
