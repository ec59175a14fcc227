"""Personal data a person marks: what the regex detector cannot find (a name, an address, a
date of birth, a passport number). A labeler with restricted access marks every occurrence
of a text across all of an item's fields; anyone may send an item to the restricted queue.

Pure functions here; the session writes the marks and the audit entries.
"""

from __future__ import annotations

from labeler.domain import Item, PiiSpan
from labeler.errors import ValidationError
from labeler.labeling.redaction import MANUAL_KINDS, field_text

MAX_MARK_CHARS = 500


def text_fields(item: Item) -> list[tuple[str, str]]:
    """(field name as spans name it, text) of every customer text of the item."""
    names = ["input", "intent", "output", "edited_output"]
    names += [f"retries[{i}].{part}" for i in range(len(item.retries or [])) for part in
              ("change", "output")]  # fmt: skip
    names += [f"candidates[{i}].output" for i in range(len(item.candidates or []))]
    return [(name, text) for name in names if (text := field_text(item, name))]


def occurrences(item: Item, needle: str, kind: str, *, match_case: bool = True) -> list[PiiSpan]:
    """A span for every occurrence of ``needle`` in any text field of ``item``."""
    if kind not in MANUAL_KINDS:
        raise ValidationError(f"Unknown kind of personal data {kind!r}.")
    needle = needle.strip()
    if not needle:
        raise ValidationError("Give the text to mark.")
    if len(needle) > MAX_MARK_CHARS:
        raise ValidationError(f"Mark at most {MAX_MARK_CHARS} characters at a time.")
    wanted = needle if match_case else needle.casefold()
    found = []
    for field, text in text_fields(item):
        haystack = text if match_case else text.casefold()
        start = haystack.find(wanted)
        while start >= 0:
            found.append(PiiSpan(kind, start, start + len(needle), field))
            start = haystack.find(wanted, start + len(needle))
    return found


def merged(existing: list[PiiSpan], marked: list[PiiSpan]) -> list[PiiSpan]:
    """The item's spans with the new ones added, leaving out any that overlap one already
    there in the same field (the first mark of a stretch of text wins)."""
    spans = list(existing)
    for span in marked:
        clash = any(
            s.field == span.field and s.start < span.end and span.start < s.end for s in spans
        )
        if not clash:
            spans.append(span)
    return sorted(spans, key=lambda s: (s.field, s.start))
