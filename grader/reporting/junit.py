"""JUnit XML for CI-minded staff: a test suite per submission, a test case per check (failure, error,
skipped for manual and skipped checks), the score as suite properties."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from ..grading.result import CheckResult, GradeResult
from ..text import plain
from . import view

OUTCOME_TAG = {"fail": "failure", "error": "error", "manual": "skipped", "skip": "skipped"}


def _message(check: CheckResult) -> str:
    return plain("; ".join(filter(None, (view.blocked_note(check), check.message))))


def suite(name: str, result: GradeResult) -> ElementTree.Element:
    counts = {tag: sum(OUTCOME_TAG.get(check.status) == tag for check in result.checks)
              for tag in ("failure", "error", "skipped")}
    element = ElementTree.Element("testsuite", name=plain(name), tests=str(len(result.checks)),
                                  failures=str(counts["failure"]), errors=str(counts["error"]),
                                  skipped=str(counts["skipped"]), time=f"{result.duration_s:.3f}",
                                  timestamp=result.graded_at)
    properties = ElementTree.SubElement(element, "properties")
    for key, value in (("activity", result.activity), ("score", f"{result.score:g}"),
                       ("max_score", f"{result.max_score:g}")):
        ElementTree.SubElement(properties, "property", name=key, value=value)
    for check in result.checks:
        case = ElementTree.SubElement(element, "testcase", classname=result.activity, name=check.id)
        tag = OUTCOME_TAG.get(check.status)
        if tag:
            outcome = ElementTree.SubElement(case, tag, message=plain(check.title), type=check.status)
            if tag != "skipped":
                outcome.text = _message(check)
    return element


def junit_xml(named_results: list[tuple[str, GradeResult]]) -> bytes:
    root = ElementTree.Element("testsuites", name="grader")
    for name, result in named_results:
        root.append(suite(name, result))
    for attribute in ("tests", "failures", "errors", "skipped"):
        root.set(attribute, str(sum(int(child.get(attribute)) for child in root)))
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
