"""Cleaning text typed by attendees and hosts: untrusted Unicode made safe and bounded."""

from __future__ import annotations

import re
import unicodedata

from live.domain.model import Refused

# Cs: a lone surrogate (valid in JSON, not in UTF-8) would fail the whole write batch.
_CONTROL = {"Cc", "Cf", "Cs"}
_SURROGATE = re.compile("[\ud800-\udfff]")
# Enough for any script (Vietnamese, Thai, pointed Hebrew); more is "zalgo" text, a tower of
# marks drawn over the lines around it, on the host's screen and the beamer.
_MARKS = {"Mn", "Me"}
MAX_MARKS = 4
# The Hangul fillers are letters without sound or shape (Unicode says: show nothing), the usual
# way to type a name or an addition that looks empty. Modern Korean never needs them: they
# become the space they look like.
_FILLERS = {"\u115f", "\u1160", "\u3164", "\uffa0"}
# Shows as a blank, like a space; kept inside text, but text of only these is empty.
_BLANK = {"\u2800"}  # braille pattern blank
# Line and paragraph separators break a line like a newline does.
_BREAKS = {"Zl", "Zp"}
# The two joiners are format characters, but text needs them where they join: the zero-width
# joiner inside an emoji sequence (a family, a rainbow flag, a job with a skin tone) and the
# non-joiner between two letters (Persian, some Indic and Arabic spellings). Anywhere else they
# only hide things, and are dropped like the other format characters.
_ZWJ, _ZWNJ = "\u200d", "\u200c"
# Lines an addition or a note may take: each more line breaks the beamer's page for all the
# others. Later line breaks become spaces, so no word is lost.
MAX_LINES = 10
# A raw string longer than this many times its limit is refused before it is cleaned.
RAW_FACTOR = 8


def _joins(joiner: str, before: str, after: str) -> bool:
    """Whether a joiner between these two characters is part of how the text is written."""
    if joiner == _ZWJ:
        # emoji, skin tone or variation selector 16, then another emoji
        return unicodedata.category(before) in ("So", "Sk", "Mn") and unicodedata.category(after) == "So"
    return unicodedata.category(before)[0] in "LM" and unicodedata.category(after)[0] == "L"


def _visible(ch: str) -> bool:
    """Whether one character shows something of its own (not a space, mark or blank)."""
    return not ch.isspace() and ch not in _BLANK and unicodedata.category(ch) not in _MARKS


def _lines(text: str) -> str:
    """Multi-line text: no spaces around a line, at most one empty line in a row, and at most
    ``MAX_LINES`` lines (the rest joined with spaces)."""
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    lines = text.split("\n")
    if len(lines) > MAX_LINES:
        rest = " ".join(line for line in lines[MAX_LINES - 1 :] if line)
        text = "\n".join([*lines[: MAX_LINES - 1], rest]).strip()
    return text


def is_blank(raw) -> bool:
    """Whether a text shows nothing: empty, or only spaces, invisible characters and marks."""
    return not isinstance(raw, str) or not any(
        _visible(ch) for ch in raw if ch not in _FILLERS and unicodedata.category(ch) not in _CONTROL
    )


def clean_text(raw, limit: int, *, multiline: bool = False, required: bool = True) -> str:
    """Attendee or host text, normalised and bounded; raises ``text_empty``/``text_too_long``.
    Text that shows nothing (only spaces, invisible characters or marks) counts as empty."""
    if raw is None and not required:
        return ""
    if not isinstance(raw, str):
        raise Refused("bad_payload")
    # Before any work per character: cleaning may shorten text (zalgo marks, invisible
    # characters), but never by this much, and a huge string would hold the event loop.
    if len(raw) > RAW_FACTOR * limit:
        raise Refused("text_too_long")
    text = unicodedata.normalize("NFC", raw)
    # Drop control and format characters (bidi overrides, zero-width joiners) but keep newlines
    # where they belong; they are how spoofed or invisible text is made.
    kept = []
    marks = 0  # combining marks on the current letter
    for i, ch in enumerate(text):
        if ch in (_ZWJ, _ZWNJ):
            if kept and i + 1 < len(text) and _joins(ch, kept[-1], text[i + 1]):
                kept.append(ch)
            continue
        if ch in _FILLERS:
            ch = " "
        category = unicodedata.category(ch)
        if category in _MARKS:
            marks += 1
            if marks > MAX_MARKS:
                continue
        elif category not in _CONTROL:
            marks = 0
        if (ch == "\n" or category in _BREAKS) and multiline:
            kept.append("\n")
        elif ch in "\t\r\n" or category in _BREAKS:
            kept.append(" ")
        elif category not in _CONTROL:
            kept.append(ch)
    text = "".join(kept).strip()
    if multiline:
        text = _lines(text)
    if not any(_visible(ch) for ch in text):
        if required:
            raise Refused("text_empty")
        return ""
    if len(text) > limit:
        raise Refused("text_too_long")
    return text
