"""The audit's files: audit.json (the whole record), leftovers.csv (one row per resource) and
audit.html (one self-contained page: inline stylesheet, no external URL, readable without JavaScript,
every value escaped)."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2

from ..spreadsheet import csv_text
from .text import money

CSV_COLUMNS = ["student", "account", "region", "service", "type", "name", "state", "created", "age",
               "cost_per_hour", "cost_per_month", "how_to_delete", "delete_commands", "details", "bills",
               "price_basis", "account_source"]


def write_all(audit: dict, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "audit.html", out / "leftovers.csv", out / "audit.json"]
    write_html(audit, paths[0])
    write_csv(audit, paths[1])
    paths[2].write_text(json.dumps(audit, indent=1, default=str))
    return paths


def csv_rows(audit: dict) -> list[dict]:
    rows = []
    for account in audit["accounts"]:
        for leftover in account["leftovers"]:
            row = {**leftover, "account": account["account_id"] or account["source"]["label"],
                   "cost_per_hour": _rounded(leftover["cost_per_hour"], 6),
                   "cost_per_month": _rounded(leftover["cost_per_month"], 4),
                   "delete_commands": " && ".join(leftover["delete_commands"]),
                   "bills": {True: "yes", False: "no", None: "unknown"}[leftover["bills"]],
                   "account_source": account["source"]["description"]}
            rows.append({column: row.get(column) for column in CSV_COLUMNS})
    return rows


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def write_csv(audit: dict, path: Path) -> None:
    rows = [CSV_COLUMNS] + [[row[column] for column in CSV_COLUMNS] for row in csv_rows(audit)]
    path.write_text(csv_text(rows), encoding="utf-8", newline="")


_templates = jinja2.Environment(loader=jinja2.PackageLoader("grader.audit", "templates"),
                                autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                                lstrip_blocks=True)
_templates.filters["money"] = money


def render_html(audit: dict) -> str:
    return _templates.get_template("audit.html.j2").render(audit=audit, **audit)


def write_html(audit: dict, path: Path) -> None:
    path.write_text(render_html(audit), encoding="utf-8")
