"""Verdicts that name their cause: which failing cell a check could not be judged because of.

A rubric check declares what it needs from the run with a marker, as AWS operations that must have
succeeded (in the order the notebook makes them) and, optionally, calls that must have run:

    @pytest.mark.needs("PutObject", "CreateTrainingJob")
    @pytest.mark.needs(calls=r"\\.calc_cumulative_return\\(")

A check that did not pass is *blocked by* a cell when one of its needs is unmet (the operation never
succeeded in the emulator's API log, or no cell with the call ran) and the first cell whose code
makes that call failed (or never ran because the kernel had stopped). The blame then moves back
along NameErrors: a cell that failed because a name was not defined is blamed on the failed cell
that should have defined it, so a crash in cell 5 is named once, not as nineteen failures. It also
moves back along state: a cell that failed using an object an earlier failed cell was to assign or
bring along (`linear.deploy()` after `linear.fit()` failed: "Estimator is not associated with a
training job") follows from that cell, and so on to the first.

A cell the student has not done yet (the starter's `raise NotImplementedError(...)`, or nothing but
comments under `# YOUR CODE HERE`) is "not done yet", not an error; a need no cell's code tries is
blocked by the unfinished cell that was to do it (its comments name the step: "Train the model"),
else by the first unfinished cell. In a finished notebook, a need no cell's code even tries is the
check's own fault, reported by its own message, never guessed.

The same module condenses each run for the result: the failing cells (source, output, traceback,
the offending value and where the notebook set it) and per-cell timings; reports render from these.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from ..checks.evidence import FIT_CALL
from ..execution.record import CellRecord, RunRecord
from ..text import clip, plain
from .hints import hint_for

# The calls in a notebook's code that make each AWS operation (SDK v1 and v2 names, boto3), and the
# logged operations that count as it (a large upload is a multipart upload, not a PutObject).
OPERATIONS = {
    "PutObject": (re.compile(r"\.(upload_fileobj|upload_file|put_object|upload_data|upload_string)\s*\(|"
                             r"S3Uploader\.upload|\.Object\([^)]*\)\.put\s*\("),
                  ("PutObject", "CompleteMultipartUpload", "CopyObject")),
    "CreateBucket": (re.compile(r"\.create_bucket\s*\("), ("CreateBucket",)),
    "CreateTrainingJob": (FIT_CALL, ("CreateTrainingJob",)),
    "CreateEndpoint": (re.compile(r"\.deploy\s*\(|\.create_endpoint\s*\("), ("CreateEndpoint",)),
    "InvokeEndpoint": (re.compile(r"\.predict\s*\(|\.invoke_endpoint\s*\("), ("InvokeEndpoint",)),
    "DeleteEndpoint": (re.compile(r"\.delete_endpoint\s*\(|\.delete_predictor\s*\("), ("DeleteEndpoint",)),
    "CreateNotebookInstance": (re.compile(r"\.create_notebook_instance\s*\("), ("CreateNotebookInstance",)),
}
FAILED = ("error", "timeout", "not_run")
UNDEFINED = re.compile(r"name '(\w+)' is not defined")
AWS_ERROR = re.compile(r"An error occurred \((\w+)\) when calling the (\w+) operation")
CELL_LINE = re.compile(r"Cell In\[\d+\], line (\d+)|<ipython-input-[^>]*>.*?line (\d+)")
ASSIGNED = re.compile(r"^\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*=(?!=)", re.MULTILINE)
COMPILED_AS = re.compile(r" \([^()\s]+\.py, line \d+\)$")
QUOTED = re.compile(r"'([^'\n]{1,200})'|\"([^\"\n]{1,200})\"")
SOURCE_LIMIT, OUTPUT_LIMIT, TRACEBACK_LIMIT, CODE_LIMIT = 4000, 2000, 4000, 300
FAILURES_KEPT = 20   # per run; the count of the rest is kept


# The word an unfinished cell's comments use for the notebook step that makes each operation (the
# bucket and the notebook instance are console steps in the course: no cell is to make them).
STEP_WORDS = {"PutObject": "upload", "CreateTrainingJob": "train", "CreateEndpoint": "deploy",
              "InvokeEndpoint": "predict", "DeleteEndpoint": "delete"}
UNFINISHED_MARK = re.compile(r"YOUR CODE HERE", re.IGNORECASE)
# Calls that change the state of the object they are made on: a later cell using it depends on them.
STATEFUL_CALL = re.compile(r"\b([A-Za-z_]\w*)\.(fit|deploy|set_hyperparameters|upload_fileobj|upload_file|"
                           r"put_object|create_bucket|attach|wait)\s*\(")


@dataclass(frozen=True)
class Need:
    calls: re.Pattern         # code that would meet it
    operations: tuple = ()    # logged AWS operations that meet it (none: a cell with the call ran)
    step: str = ""            # the word for it in an unfinished cell's comments


def needs_of(marker) -> list[Need]:
    """The needs a `@pytest.mark.needs(...)` marker declares (an unknown operation name is a rubric bug)."""
    if marker is None:
        return []
    found = []
    for name in marker.args:
        if name not in OPERATIONS:
            raise ValueError(f"needs({name!r}): not one of {', '.join(OPERATIONS)}")
        calls, operations = OPERATIONS[name]
        found.append(Need(calls, operations, STEP_WORDS.get(name, "")))
    calls = marker.kwargs.get("calls")
    if calls:
        found.append(Need(re.compile(calls)))
    return found


def _code(source: str) -> str:
    """The source without comments, so `# linear.fit(...)` is not a call."""
    return "\n".join(line.split("#", 1)[0] for line in source.splitlines())


def _met(runs: list[RunRecord], need: Need) -> bool:
    if need.operations:
        return any(entry.get("operation") in need.operations and entry.get("status", 200) < 300
                   for run in runs for entry in run.api_log)
    return any(cell.status == "ok" and need.calls.search(_code(cell.source))
               for run in runs for cell in run.cells)


def _bound_names(source: str) -> set[str]:
    """Names a cell assigns, imports or defines (IPython magics made Python first); for a cell that
    does not parse, the names its lines start to assign (`linear = ` is a SyntaxError that was meant
    to define `linear`) and those its lines that parse alone bind (`import sagemaker` beside a typo)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        tree = ast.parse(TransformerManager().transform_cell(source))
    except Exception:
        names = {name.strip() for found in ASSIGNED.findall(source) for name in found.split(",")}
        for line in source.splitlines():
            try:
                names |= _names_bound_in(ast.parse(line.strip()))
            except (SyntaxError, ValueError):
                pass
        return names
    return _names_bound_in(tree)


def _names_bound_in(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def _stores_key(source: str, key: str) -> bool:
    """The cell assigns to the subscript ['key'] (a column a DataFrame should have got)."""
    return re.search(rf"""\[\s*(['"]){re.escape(key)}\1\s*\]\s*=(?!=)""", source) is not None


def _definers(run: RunRecord, cell: CellRecord) -> list[CellRecord]:
    """The earlier cells that would have defined what `cell` failed without: the name of a NameError,
    the key of a KeyError."""
    error = cell.error
    if error is None:
        return []
    if error.name == "NameError" and (name := UNDEFINED.search(error.value)):
        return [c for c in run.cells if c.index < cell.index and name.group(1) in _bound_names(c.source)]
    if error.name == "KeyError" and (key := QUOTED.search(error.value)):
        return [c for c in run.cells
                if c.index < cell.index and _stores_key(c.source, key.group(1) or key.group(2))]
    return []


def unfinished(run: RunRecord, cell: CellRecord) -> bool:
    """A cell the student has not done yet: the starter's placeholder raises NotImplementedError, or
    the cell still has the starter's `# YOUR CODE HERE` and holds nothing but comments, or fails on a
    name that no cell of the notebook defines (the blank it was to fill)."""
    if cell.error is not None and cell.error.name == "NotImplementedError":
        return True
    if not UNFINISHED_MARK.search(cell.source):
        return False
    if not _code(cell.source).strip():
        return True
    is_name_error = cell.error is not None and cell.error.name == "NameError"
    missing = UNDEFINED.search(cell.error.value) if is_name_error else None
    if missing is None:
        return False
    return not any(missing.group(1) in _bound_names(other.source) for other in run.cells)


def _names_used(source: str) -> set[str]:
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        tree = ast.parse(TransformerManager().transform_cell(source))
    except Exception:   # a cell that does not parse uses what its words name
        return set(re.findall(r"[A-Za-z_]\w*", _code(source)))
    return {node.id for node in ast.walk(tree)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def _state_source(run: RunRecord, cell: CellRecord) -> CellRecord | None:
    """The latest earlier failed cell that was to assign, or change by a stateful call, an object
    `cell` uses (so its failure may be why `cell` failed)."""
    used = _names_used(cell.source)
    for earlier in sorted((c for c in run.cells if c.index < cell.index and c.status in ("error", "timeout")),
                          key=lambda c: -c.index):
        changed = {name for name, _ in STATEFUL_CALL.findall(_code(earlier.source))}
        touched = _bound_names(earlier.source) | changed
        if used & touched:
            return earlier
    return None


def root_cell(run: RunRecord, cell: CellRecord) -> CellRecord:
    """The failed cell that `cell`'s failure goes back to: itself, unless it never ran (then the cell
    the kernel stopped in) or it failed on a name (or key) that only a failed earlier cell would have
    defined."""
    if cell.status == "not_run":
        stopped = next((c for c in run.cells if c.index == run.kernel.cell), None)
        earlier = [c for c in run.cells if c.index < cell.index and c.status in ("error", "timeout")]
        cell = stopped or (earlier[-1] if earlier else cell)
    if unfinished(run, cell):
        return cell
    definers = _definers(run, cell)
    if definers and definers[-1].status in FAILED:
        return root_cell(run, definers[-1])
    if not definers and cell.status in ("error", "timeout"):
        earlier = _state_source(run, cell)
        if earlier is not None:
            return root_cell(run, earlier)
    return cell


def _error_line(cell: CellRecord, run: RunRecord) -> str:
    if unfinished(run, cell):
        placeholder = cell.error is not None and cell.error.name == "NotImplementedError" and cell.error.value
        said = cell.error.value if placeholder else _step_text(cell)
        return f"not done yet: {said}" if said else "not done yet"
    if cell.error is None:
        return cell.status
    # "invalid syntax (1281128631.py, line 2)": the line is shown apart
    value = COMPILED_AS.sub("", cell.error.value)
    return f"{cell.error.name}: {value}" if value else cell.error.name


def _step_text(cell: CellRecord) -> str:
    """What an unfinished cell was to do, from its first comment ("Train the model with ...")."""
    comments = [line.strip().lstrip("#").strip() for line in cell.source.splitlines()
                if line.strip().startswith("#")]
    return next((line for line in comments if line and not UNFINISHED_MARK.search(line)), "")


def _unfinished_for(run: RunRecord, need: Need) -> CellRecord | None:
    """The unfinished cell that was to meet `need`: the first whose comments name its step, else the
    first unfinished cell of the run; none for a console step."""
    if need.operations and not need.step:
        return None
    cells = [cell for cell in run.cells if unfinished(run, cell)]
    step = re.compile(rf"\b{need.step}\b", re.IGNORECASE) if need.step else None
    named = [cell for cell in cells if step and step.search(cell.source)]
    return (named or cells or [None])[0]


def _blocked(run: RunRecord, cell: CellRecord) -> dict:
    return {"notebook": run.notebook or run.submission.get("name", ""), "cell": cell.index,
            "error": clip(plain(_error_line(cell, run)), CODE_LIMIT),
            **({"unfinished": True} if unfinished(run, cell) else {})}


def blocked_by(runs: list[RunRecord], needs: list[Need]) -> dict | None:
    """{"notebook", "cell", "error"} of the failed (or unfinished: "unfinished": true) cell that kept
    a check from being judged, or None."""
    for need in needs:
        if _met(runs, need):
            continue
        for run in runs:
            tries = [cell for cell in run.cells if need.calls.search(_code(cell.source))]
            if tries and all(cell.status == "ok" for cell in tries):
                break   # the code ran and still did not meet the need: the check's own message says why
            failed = next((cell for cell in tries if cell.status in FAILED), None)
            if failed is not None:
                return _blocked(run, root_cell(run, failed))
            placeholder = None if tries else _unfinished_for(run, need)
            if placeholder is not None:
                return _blocked(run, placeholder)
    return None


def _line_number(cell: CellRecord) -> int | None:
    """The line of the cell's own code that failed (IPython names it in the traceback's first frame)."""
    for line in (cell.error.traceback if cell.error else []):
        found = CELL_LINE.search(plain(line))
        if found:
            return int(found.group(1) or found.group(2))
    return None


def _source_line(source: str, number: int | None) -> str | None:
    lines = source.splitlines()
    if number is None or not 1 <= number <= len(lines) + 1:
        return None
    return clip(lines[number - 1], CODE_LIMIT) if number <= len(lines) else ""


def _aws_error(cell: CellRecord) -> tuple[str, str] | None:
    found = AWS_ERROR.search(cell.error.value) if cell.error else None
    return found.groups() if found else None


def _failed_call(run: RunRecord, cell: CellRecord) -> dict | None:
    """The AWS call behind an AWS error (from the emulator's log, which names its parameters)."""
    error = _aws_error(cell)
    if error is None:
        return None
    code, operation = error
    # The n-th cell that failed on this call goes with the n-th failed call in the log.
    earlier = sum(1 for other in run.cells if other.index < cell.index and _aws_error(other) == error)
    failed = [entry for entry in run.api_log if entry.get("operation") == operation
              and entry.get("status", 200) >= 300 and entry.get("error") in (code, None)]
    entry = failed[min(earlier, len(failed) - 1)] if failed else None
    if entry is None:
        return {"operation": operation, "error": code, "params": {}}
    params = {key: value for key, value in (entry.get("params") or {}).items()
              if isinstance(value, (str, int, float))}
    return {"operation": operation, "error": code, "params": params}


def _offending_value(run: RunRecord, cell: CellRecord, call: dict | None) -> dict | None:
    """The value the error is about, where the notebook sets it as a literal, and what the grader
    noted about it: {"value", "cell", "line", "code", "note"}."""
    if cell.error is None or cell.error.name in ("NameError", "SyntaxError", "IndentationError"):
        return None
    values = [str(value) for value in (call or {}).get("params", {}).values()]
    values += [a or b for a, b in QUOTED.findall(cell.error.value)]
    notes = {item.get("name"): item.get("reason", "") for item in run.provided if not item.get("created")}
    for value in filter(None, values):
        literal = re.compile(rf"""(['"]){re.escape(value)}\1""")
        for earlier in sorted((c for c in run.cells if c.index <= cell.index), key=lambda c: -c.index):
            for number, line in enumerate(earlier.source.splitlines(), 1):
                if literal.search(line):
                    return {"value": value, "cell": earlier.index, "line": number,
                            "code": clip(line.strip(), CODE_LIMIT), "note": notes.get(value, "")}
    return None


def failure(run: RunRecord, cell: CellRecord) -> dict:
    """What a report shows of one failed cell, capped; `caused_by` names the failed cell it follows from."""
    root = root_cell(run, cell)
    number = _line_number(cell)
    call = _failed_call(run, cell)
    output = plain("\n".join(part for part in (cell.stdout, cell.stderr) if part))
    traceback = plain("\n".join(cell.error.traceback)) if cell.error else ""
    return {"cell": cell.index, "status": cell.status, "execution_count": cell.execution_count,
            "error": clip(plain(_error_line(cell, run)), CODE_LIMIT), "line": number,
            "code": _source_line(cell.source, number), "call": call,
            "value": _offending_value(run, cell, call), "caused_by": root.index if root is not cell else None,
            "source": clip(plain(cell.source), SOURCE_LIMIT),
            "output": clip(output, OUTPUT_LIMIT, keep="end"),
            "traceback": clip(traceback, TRACEBACK_LIMIT, keep="end"),
            "notes": [plain(note) for note in cell.notes],
            "unfinished": unfinished(run, cell), "hint": hint_for(_error_line(cell, run))}


def condensed(run: RunRecord) -> dict:
    """The run facts a result carries for its reports: failing cells, per-cell timings, notes."""
    failed = [cell for cell in run.cells if cell.status in ("error", "timeout")]
    return {"failures": [failure(run, cell) for cell in failed[:FAILURES_KEPT]],
            "failures_left_out": max(0, len(failed) - FAILURES_KEPT),
            "timings": [{"cell": cell.index, "status": cell.status, "duration_s": round(cell.duration_s, 3)}
                        for cell in run.cells],
            "notes": [f"cell {cell.index}: {plain(note)}"
                      for cell in run.cells for note in cell.notes][:FAILURES_KEPT],
            "kernel_message": plain(run.kernel.message)}
