"""Text from a notebook run made plain: terminal colour codes and other control characters removed,
so it reads the same in a JSON result, an HTML page or an XML file (which cannot hold most of them)."""

from __future__ import annotations

import re

_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


def plain(text) -> str:
    """`text` without ANSI sequences or control characters other than newline and tab."""
    text = _ESCAPES.sub("", str(text)).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS.sub("", text)


def clip(text: str, limit: int, *, keep: str = "start") -> str:
    """At most about `limit` characters; `keep="end"` keeps the tail (where a traceback says what went
    wrong)."""
    if len(text) <= limit:
        return text
    dropped = f"[... {len(text) - limit:,} characters left out]"
    return f"{dropped}\n{text[-limit:]}" if keep == "end" else f"{text[:limit]}\n{dropped}"
