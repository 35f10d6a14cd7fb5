"""What every HTML page the grader writes must pass: strict HTML5 parsing and nothing a browser would
fetch."""

import re

import html5lib


def strict(page: str):
    return html5lib.HTMLParser(strict=True).parse(page)


LOADS = ("href", "src", "srcset", "action", "formaction", "data", "poster",
         "{http://www.w3.org/1999/xlink}href")


def external_references(page: str) -> list[str]:
    """Anything that could make a browser fetch: absolute or protocol-relative URLs in attributes,
    url()/@import in styles, and any http(s):// in the source at all."""
    found = re.findall(r"https?://\S*|url\(|@import", page, re.IGNORECASE)
    for element in strict(page).iter():
        for name in LOADS:
            value = element.get(name)
            if value is not None and (":" in value or value.startswith("//") or value.startswith("\\")):
                found.append(f"{name}={value}")
        if "url(" in (element.get("style") or ""):
            found.append(element.get("style"))
    return found
