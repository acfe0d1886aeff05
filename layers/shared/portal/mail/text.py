"""What a value may look like inside a mail. Every value that is not the template's own text (a
customer's name, a computer's name, a software name, a serial number, a formatted date) goes
through `plain` for the subject and the text part and through `markup` for the HTML part:

- `plain` replaces control characters (CR and LF included, so nothing can start a header line),
  line and paragraph separators and invisible or bidirectional formatting characters with a
  space, squeezes the spaces and caps the length;
- `markup` is `plain`, HTML-escaped (quotes included, so it is safe in an attribute too).
"""

from __future__ import annotations

import html
import re

VALUE_LIMIT = 200  # characters of one value; more is cut with an ellipsis

# C0, DEL, C1, soft hyphen, Arabic letter mark, Mongolian vowel separator, zero-width and
# directional marks, line/paragraph separators, embeddings and overrides, word joiners and
# invisible operators, isolates, BOM, interlinear annotation marks (as portal.types does for
# computer names).
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb]"
)
_SPACES = re.compile(" {2,}")


def plain(value: object, *, limit: int = VALUE_LIMIT) -> str:
    """One line of printable text, at most `limit` characters."""
    text = _SPACES.sub(" ", _INVISIBLE.sub(" ", str(value))).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "\u2026"
    return text


def markup(value: object, *, limit: int = VALUE_LIMIT) -> str:
    """`plain(value)` as HTML text (or an attribute value)."""
    return html.escape(plain(value, limit=limit), quote=True)
