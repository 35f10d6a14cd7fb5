"""Reading the course's own TOML files (activity.toml, rubric.toml) strictly.

A typo in a file a TA edits must stop the grading before it starts, with the file, the line and the
key, instead of crashing a check for every student later: each table is compared with the fields it
may have, and an unknown key, a missing one or a value of the wrong type is refused as bad input.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError

HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
TYPE_NAMES = {str: "text", int: "a whole number", float: "a number", bool: "true or false", list: "a list",
              dict: "a table"}


@dataclass(frozen=True)
class Field:
    """One key a table may hold: its allowed types, whether it must be there, and for a list the
    type of its items."""

    types: tuple[type, ...]
    required: bool = False
    items: tuple[type, ...] | None = None


def optional(*types: type, items: tuple[type, ...] | None = None) -> Field:
    return Field(types, False, items)


def required(*types: type, items: tuple[type, ...] | None = None) -> Field:
    return Field(types, True, items)


def _is(value, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool):   # TOML's true is no number, although Python's bool is an int
        return bool in types
    return isinstance(value, types) or (float in types and isinstance(value, int))


def _describe(types: tuple[type, ...]) -> str:
    return " or ".join(TYPE_NAMES.get(kind, kind.__name__) for kind in types)


class TomlFile:
    """A parsed TOML file that can say on which line a key is."""

    def __init__(self, path: Path, what: str):
        self.path, self.what = Path(path), what
        try:
            self.text = self.path.read_text()
            self.data = tomllib.loads(self.text)
        except OSError as error:
            raise UsageError(f"cannot read {self.path} ({error.strerror}); check the {what}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise UsageError(f"{self.path} is not valid TOML ({error}); fix the {what}") from None

    def line(self, table: str | None, key: str | None = None, index: int = 0) -> int:
        """The line of `key` in `table` (its `index`-th occurrence for an array of tables); the table's
        header line when the key is not written on a line of its own; 1 when nothing is found."""
        header, seen, current = None, -1, None
        subtable = f"{table}.{key}" if table else key
        for number, text in enumerate(self.text.splitlines(), start=1):
            found = HEADER.match(text)
            if found:
                current = found.group(2).replace('"', "")
                if key and current == subtable:   # the key is a table of its own: [table.key]
                    return number
                if current == table:
                    seen += 1
                    if seen == index:
                        header = number
                continue
            inside = (table is None and current is None) or (current == table and seen == index)
            if key and inside and re.match(rf'^\s*"?{re.escape(key)}"?\s*=', text):
                return number
        return header or 1

    def refuse(self, problem: str, table: str | None = None, key: str | None = None,
               index: int = 0) -> UsageError:
        where = ".".join(part for part in (table, key) if part)
        return UsageError(f"{self.path}:{self.line(table, key, index)}: {where + ': ' if where else ''}"
                          f"{problem}; fix the {self.what}")

    def checked(self, values: dict, fields: dict[str, Field], table: str | None = None,
                index: int = 0) -> dict:
        """`values` (the table `table`) when every key is one of `fields`, of its type, and none required is
        missing; else the UsageError that names the first problem's line."""
        if not isinstance(values, dict):
            raise self.refuse(f"must be a table, not {_describe((type(values),))}", table)
        for key, value in values.items():
            field = fields.get(key)
            if field is None:
                raise self.refuse(f"unknown key '{key}' (known: {', '.join(fields)})", table, key, index)
            if not _is(value, field.types):
                raise self.refuse(f"must be {_describe(field.types)}, not {value!r}", table, key, index)
            if field.items and not all(_is(item, field.items) for item in value):
                raise self.refuse(f"every item must be {_describe(field.items)}", table, key, index)
        missing = [key for key, field in fields.items() if field.required and key not in values]
        if missing:
            raise self.refuse(f"missing {', '.join(missing)}", table, None, index)
        return values
