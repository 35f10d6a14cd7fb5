"""Text bound for a terminal, made inert.

Check messages, notebook and file names, error values and snapshot fields carry text a student
chose (a bucket or endpoint name, an exception message, a file name). Printed raw, an ANSI escape
or a carriage return in it rewrites what staff see (a 9/26 shown as "Score: 26/26"). Every line
the grader prints goes through `inert` once, just before it is printed.
"""

from __future__ import annotations

import unicodedata

# controls, format (bidi), surrogates, unassigned, line breaks
_UNSAFE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def inert(text) -> str:
    """`text` as one printable line: each control or formatting character (ESC, CR, LF, BEL, bidi
    overrides, ...) written as its visible escape, for example \\x1b or \\u202e."""
    text = str(text)
    if text.isascii() and text.isprintable():
        return text
    return "".join(char.encode("unicode_escape").decode("ascii") if unicodedata.category(char) in _UNSAFE
                   else char for char in text)
