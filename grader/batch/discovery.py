"""Which files are whose: a class's submissions as staff have them.

- a folder of notebooks: the student id is the file name, less the activity notebook's own name
  when it is there (`jdoe.ipynb`, `jdoe_boston-housing-regression.ipynb`: both `jdoe`); files of a
  multi-notebook activity group by that id;
- a folder of per-student folders: the folder name is the id; every notebook under it is theirs;
- Canvas's bulk download (`name_id_subid_file.ipynb`, `name_LATE_id_subid_file.ipynb`): the Canvas
  user id, the name part as the name;
- Gradescope's export (a `submission_metadata.yml` beside `submission_<n>/` folders): each
  submitter's student id (else e-mail, else name) and name;
- a zip of any of these (the LMS download as it is), unpacked by archives.py.

Only staff decide whose files are whose: Gradescope's metadata is read at the root of the export
(the folder given, or the one folder a zip holds, as Gradescope's download does), never from a
student's folder, so a student's files are theirs whatever they say. The metadata is parsed with
bounds (size, nesting, what its aliases expand to) and a malformed one is one line for staff.

Nothing is guessed: a file that cannot be tied to a student is listed with the reason, and a
student whose files cannot be graded as given (more notebooks than the activity has, none at all)
still gets a result that says why.

A student who submitted one notebook several times (Canvas's `-1`, `-2` suffixes and submission ids,
Gradescope's `:created_at:`, a `-2` suffix in a folder) is graded on the latest by that order (or the
first, when staff prefer), and the others are named as set aside. Each file's submission time is kept
with where it came from (Gradescope's metadata, the Canvas download's file time, the file's own time),
with Canvas's LATE mark, for the late policy (grader/review/late.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml

from ..activities import Activity
from ..errors import UsageError
from ..reporting.class_summary import CLASS_FILES
from .archives import GRADESCOPE_METADATA, ignored, unpack
from .progress import PROGRESS_FILE
from .store import MANIFEST

CANVAS_NAME = re.compile(r"^(?P<name>[A-Za-z0-9-]+?)(?P<late>_LATE)?_(?P<id>\d+)_(?P<submission>\d+)"
                         r"_(?P<file>.+)$")
RESUBMITTED = re.compile(r"^(?P<base>.+?)-(?P<number>\d{1,3})$")   # `rainfall_forecast-2`: the LMS's renaming
PREFERENCES = ("last", "first")
SEPARATORS = " _-."
UNASSIGNED_FILE = "unassigned.csv"   # DIR's list of the files no student could be tied to
# DIR's own files: no student folder's name
RESERVED = {*CLASS_FILES, PROGRESS_FILE, MANIFEST, UNASSIGNED_FILE}
FOLDER_NAME = re.compile(r"[^A-Za-z0-9._@+-]+")
MAX_METADATA_BYTES = 20_000_000    # Gradescope's metadata of 1,000 submissions is about 1 MB
MAX_METADATA_DEPTH = 50            # it nests 5 levels
MAX_METADATA_VALUES = 2_000_000    # counting every use of an alias: a bomb expands to billions


@dataclass(frozen=True)
class Submitted:
    """What the LMS says of one submitted file."""
    at: str = ""                       # when it was submitted (ISO 8601), "" when nothing says
    clock: str = ""                    # where `at` comes from, said with the late penalty
    late: bool = False                 # the LMS itself marked it late (Canvas's _LATE_)
    attempt: tuple = ()                # its place among the submissions of a notebook (later: greater)
    order: str = ""                    # what `attempt` comes from, said in the note


@dataclass
class StudentWork:
    student: str                       # the student id, also the name of their folder in the output
    files: list[Path] = field(default_factory=list)
    name: str = ""                     # from the roster, else from the LMS
    found_as: str = ""                 # "file name", "folder", "Canvas", "Gradescope"
    problem: str = ""                  # why the files cannot be graded as given ("" when they can)
    submitted: dict[Path, Submitted] = field(default_factory=dict)   # per file, as the LMS has it
    set_aside: list[Path] = field(default_factory=list)   # other submissions of the same notebook
    note: str = ""                     # which file was graded and which were set aside, and by what order

    def facts(self) -> dict:
        """The submission as the review stage reads it (DIR/<student>/submitted.json): times, LMS marks,
        what was set aside."""
        chosen = [self.submitted.get(path, Submitted()) for path in self.files]
        timed = [item for item in chosen if item.at]
        latest = max(timed, key=lambda item: _utc(item.at)) if timed else Submitted()
        return {"files": [str(path) for path in self.files], "at": latest.at, "clock": latest.clock,
                "lms_late": any(item.late for item in chosen), "note": self.note,
                "set_aside": [str(path) for path in self.set_aside]}


@dataclass
class Unassigned:
    path: str        # relative to the class: under the folder given, or `<zip name>:<name in the zip>`
    reason: str


@dataclass
class Found:
    students: list[StudentWork]
    unassigned: list[Unassigned]
    not_submitted: list[tuple[str, str]] = field(default_factory=list)   # (id, name) on the roster, no files


def folder_name(student_id: str) -> str:
    """A student id as one safe path component (ids come from file names a student chose)."""
    name = FOLDER_NAME.sub("_", student_id).strip("._")[:100]
    return name if name and name.lower() not in RESERVED else f"student_{name}"


def _notebooks_under(folder: Path) -> list[Path]:
    """Links are not followed: a submission is the files it holds, not what they point at."""
    return sorted(path for path in folder.rglob("*.ipynb") if path.is_file() and not path.is_symlink()
                  and not ignored(path.relative_to(folder).parts))


def _id_from_file_name(stem: str, activity: Activity) -> str:
    """`jdoe_boston-housing-regression` -> `jdoe`: the activity notebook's name, where it is at either
    end of the file name, is not part of the id."""
    lowered = stem.lower()
    for notebook in activity.notebooks:
        own = Path(notebook).stem.lower()
        if lowered.endswith(own):
            return stem[:len(stem) - len(own)].rstrip(SEPARATORS)
        if lowered.startswith(own):
            return stem[len(own):].lstrip(SEPARATORS)
    return stem


def _resubmission(stem: str) -> tuple[str, int]:
    """`rainfall_forecast-2` -> (`rainfall_forecast`, 2); a name without the LMS's suffix is attempt 0."""
    renamed = RESUBMITTED.match(stem)
    return (renamed["base"], int(renamed["number"])) if renamed else (stem, 0)


def _which_notebook(path: Path, activity: Activity) -> str | None:
    """The activity notebook a file is a copy of, by name (a one-notebook activity's files: that one)."""
    if len(activity.notebooks) == 1:
        return activity.notebooks[0]
    stem = _resubmission(CANVAS_NAME.sub(r"\g<file>", path.stem))[0].lower()
    named = [notebook for notebook in activity.notebooks if Path(notebook).stem.lower() in stem]
    return named[0] if len(named) == 1 else None


def _file_time(path: Path, clock: str) -> Submitted:
    stamp = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return Submitted(at=stamp.isoformat(timespec="seconds"), clock=clock)


def _gradescope_time(value) -> str:
    """Gradescope's `:created_at:` (`2026-11-30 10:00:00.000000000 -08:00`, or a datetime YAML made of it)."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds") if value.tzinfo else ""
    text = re.sub(r"(\.\d{6})\d*", r"\1", str(value or "").strip())
    try:
        parsed = datetime.fromisoformat(re.sub(r"\s+([-+]\d\d:?\d\d|Z)$", r"\1", text))
    except ValueError:
        return ""
    return parsed.isoformat(timespec="seconds") if parsed.tzinfo else ""


def _utc(at: str) -> str:
    """An ISO time as UTC, so that times given in different zones order as they happened."""
    return datetime.fromisoformat(at).astimezone(UTC).isoformat() if at else ""


class _Collector:
    def __init__(self, activity: Activity, base: Path, label: str, prefer: str = "last"):
        self.activity, self.prefer = activity, prefer
        self.base, self.label = base, label   # a file is named `label` + its path under `base`
        self.students: dict[str, StudentWork] = {}
        self.unassigned: list[Unassigned] = []
        self.raw_ids: dict[str, str] = {}

    def named(self, path: Path) -> str:
        return f"{self.label}{path.relative_to(self.base).as_posix()}"

    def unassign(self, path: Path, reason: str) -> None:
        self.unassigned.append(Unassigned(self.named(path), reason))

    def add(self, student_id: str, path: Path | None, found_as: str, name: str = "",
            submitted: Submitted | None = None) -> None:
        folder = folder_name(student_id)
        if self.raw_ids.setdefault(folder, student_id) != student_id:
            if path is not None:
                self.unassign(path, f"student id {student_id!r} and {self.raw_ids[folder]!r} both make the "
                                    f"folder name {folder!r}; rename one")
            return
        work = self.students.setdefault(folder, StudentWork(folder, name=name, found_as=found_as))
        if work.found_as != found_as:
            if path is not None:
                self.unassign(path, f"student {folder} was also found as a {work.found_as}; keep one of them")
        elif path is not None:
            work.files.append(path)
            if submitted is not None:
                work.submitted[path] = submitted

    def _keep_one_per_notebook(self, work: StudentWork) -> None:
        """Several files of one notebook: the latest by the LMS's order is graded (the first with
        --prefer first), the rest are set aside and named; files nothing orders are left as they are."""
        by_notebook: dict[str | None, list[Path]] = {}
        for path in work.files:
            by_notebook.setdefault(_which_notebook(path, self.activity), []).append(path)
        notes = []
        for notebook, paths in by_notebook.items():
            attempts = [work.submitted.get(path, Submitted(attempt=(_resubmission(path.stem)[1],))).attempt
                        for path in paths]
            if notebook is None or len(paths) < 2 or len(set(attempts)) < len(attempts):
                continue
            ordered = [path for _, path in sorted(zip(attempts, paths))]
            kept = ordered[-1] if self.prefer == "last" else ordered[0]
            aside = [path for path in ordered if path != kept]
            work.files = [path for path in work.files if path not in aside]
            work.set_aside += aside
            order = work.submitted[kept].order if kept in work.submitted else "the -N suffix of the file name"
            notes.append(f"{len(paths)} submissions of {notebook}: graded {kept.name} (the {self.prefer}, by "
                         f"{order}); set aside {', '.join(path.name for path in aside)}")
        work.note = "; ".join(notes)

    def result(self, roster: dict[str, str] | None) -> Found:
        notebooks = self.activity.notebooks
        for work in self.students.values():
            self._keep_one_per_notebook(work)
            if not work.files:
                work.problem = "no notebook (.ipynb) was submitted"
            elif len(work.files) > len(notebooks):
                work.problem = (f"{len(work.files)} notebooks were submitted "
                                f"({', '.join(p.name for p in work.files)}) but {self.activity.id} has "
                                f"{len(notebooks)} ({', '.join(notebooks)}), and neither their names nor the "
                                "LMS say which is the later submission of which; keep one file per "
                                "activity notebook")
        students = sorted(self.students.values(), key=lambda work: work.student)
        not_submitted = []
        if roster:
            for work in students:
                work.name = roster.get(self.raw_ids[work.student], work.name)
            found = set(self.raw_ids.values())
            not_submitted = [(key, name) for key, name in roster.items() if key not in found]
        return Found(students, self.unassigned, not_submitted)


class _GradescopeLoader(yaml.SafeLoader):
    """Gradescope writes its metadata from Ruby: some exports tag values with Ruby classes."""


_GradescopeLoader.add_multi_constructor("!", lambda loader, suffix, node: (
    loader.construct_mapping(node) if isinstance(node, yaml.MappingNode) else
    loader.construct_sequence(node) if isinstance(node, yaml.SequenceNode)
    else loader.construct_scalar(node)))


class _Unbounded(Exception):
    """Metadata beyond what any Gradescope export holds."""


def _expanded_size(node: yaml.Node, sizes: dict[int, int], depth: int = 0) -> int:
    """How many values `node` stands for once its aliases are expanded (each shared node counted
    once per use, each computed once): what an alias bomb inflates, found without inflating it."""
    if depth > MAX_METADATA_DEPTH:
        raise _Unbounded(f"nests more than {MAX_METADATA_DEPTH} levels deep")
    if id(node) not in sizes:
        children = ([part for pair in node.value for part in pair] if isinstance(node, yaml.MappingNode) else
                    node.value if isinstance(node, yaml.SequenceNode) else [])
        sizes[id(node)] = 1 + sum(_expanded_size(child, sizes, depth + 1) for child in children)
        if sizes[id(node)] > MAX_METADATA_VALUES:
            raise _Unbounded(f"expands to more than {MAX_METADATA_VALUES:,} values (aliases)")
    return sizes[id(node)]


def _read_metadata(path: Path, shown: str):
    """The metadata as Python values, refused in one line (naming it `shown`) when unreadable or
    beyond the bounds."""
    def refused(why: str) -> UsageError:
        return UsageError(f"{shown} {why}; give Gradescope's export as it was downloaded")
    try:
        if path.stat().st_size > MAX_METADATA_BYTES:
            raise refused(f"is larger than {MAX_METADATA_BYTES // 1_000_000} MB, more than Gradescope's "
                          "metadata is")
        loader = _GradescopeLoader(path.read_text(encoding="utf-8"))
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _expanded_size(node, {})
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except _Unbounded as error:
        raise refused(f"is not Gradescope's metadata: it {error}") from None
    except RecursionError:
        raise refused(f"is not Gradescope's metadata: it nests more than {MAX_METADATA_DEPTH} levels "
                      "deep") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise refused(f"is not readable YAML ({str(error).splitlines()[0]})") from None


def _field(record: dict, name: str):
    return record.get(f":{name}", record.get(name)) if isinstance(record, dict) else None


def _submitter_id(person: dict) -> str:
    """The submitter's sid, else e-mail, else name: text or a number, else "" (no id)."""
    for name in ("sid", "email", "name"):
        value = _field(person, name)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return ""


def _submission_folder(root: Path, key, shown: str) -> Path:
    """The folder beside the metadata that `key` names: a plain folder name, never a path elsewhere."""
    name = str(key)
    if name in ("", ".", "..") or Path(name).name != name or "\\" in name:
        raise UsageError(f"{shown} names {name!r}, which is not a folder beside it; "
                         "give Gradescope's export as it was downloaded")
    return root / name


def _gradescope(metadata_path: Path, collect: _Collector) -> None:
    shown = collect.named(metadata_path)
    metadata = _read_metadata(metadata_path, shown)
    if not isinstance(metadata, dict):
        raise UsageError(f"{shown} is not Gradescope's submission metadata (no submissions in it)")
    root = metadata_path.parent
    described = set()
    for folder_key, record in metadata.items():
        folder = _submission_folder(root, folder_key, shown)
        described.add(folder.name)
        files = _notebooks_under(folder) if folder.is_dir() and not folder.is_symlink() else []
        created = _gradescope_time(_field(record, "created_at"))
        submitters = [person for person in (_field(record, "submitters") or []) if isinstance(person, dict)]
        if not submitters:
            for path in files:
                collect.unassign(path, f"{GRADESCOPE_METADATA} names no submitter for {folder_key}")
        for person in submitters:   # a group submission is graded for each member
            student_id = _submitter_id(person)
            if not student_id:
                for path in files:
                    collect.unassign(path, f"a submitter of {folder_key} has no sid, e-mail or name")
                continue
            name = _field(person, "name")
            collect.add(student_id, None, "Gradescope", name if isinstance(name, str) else "")
            for path in files:
                collect.add(student_id, path, "Gradescope", submitted=Submitted(
                    at=created, clock="Gradescope's :created_at:" if created else "",
                    order="Gradescope's :created_at:", attempt=(_utc(created), _resubmission(path.stem)[1])))
    for folder in sorted(path for path in root.iterdir() if path.is_dir() and not ignored((path.name,))):
        if folder.name not in described:
            for path in _notebooks_under(folder):
                collect.unassign(path, f"its folder is not in {GRADESCOPE_METADATA}")


def _by_file_name(path: Path) -> Submitted:
    timed = _file_time(path, "the file's modification time (no LMS time)")
    return Submitted(at=timed.at, clock=timed.clock, attempt=(_resubmission(path.stem)[1],),
                     order="the -N suffix of the file name")


def _own_name(stem: str, activity: Activity) -> str:
    """`jdoe_rainfall_forecast-2` -> `jdoe_rainfall_forecast`: the LMS's resubmission suffix is not part of
    the id when the rest names the activity's notebook (`jdoe-2` stays an id)."""
    base = _resubmission(stem)[0]
    own = [Path(notebook).stem.lower() for notebook in activity.notebooks]
    return base if base != stem and any(base.lower().endswith(name) or base.lower().startswith(name)
                                        for name in own) else stem


def _folder(root: Path, collect: _Collector) -> None:
    for entry in sorted(root.iterdir()):
        if ignored((entry.name,)):
            continue
        if entry.is_symlink():
            collect.unassign(entry, "a link: not followed")
        elif entry.is_dir():
            collect.add(entry.name, None, "folder")
            for path in _notebooks_under(entry):
                collect.add(entry.name, path, "folder", submitted=_by_file_name(path))
        elif entry.suffix.lower() != ".ipynb":
            collect.unassign(entry, "not a notebook (.ipynb)")
        elif canvas := CANVAS_NAME.match(entry.name):
            timed = _file_time(entry, "the Canvas download's file time (read as UTC)")
            collect.add(canvas["id"], entry, "Canvas", canvas["name"], submitted=Submitted(
                at=timed.at, clock=timed.clock, late=bool(canvas["late"]),
                attempt=(int(canvas["submission"]), _resubmission(Path(canvas["file"]).stem)[1]),
                order="Canvas's submission id and -N suffix"))
        elif student_id := _id_from_file_name(_own_name(entry.stem, collect.activity), collect.activity):
            collect.add(student_id, entry, "file name", submitted=_by_file_name(entry))
        else:
            collect.unassign(entry, "named like the activity's notebook, with no student id; "
                                    "name it <student id>.ipynb")


def _refuse_a_wrapped_export(root: Path) -> None:
    """A folder holding only an unpacked Gradescope export: which folder is the export is for staff
    to say (a student's folder may hold a file of that name too), so they are asked to give it."""
    entries = [entry for entry in root.iterdir() if not ignored((entry.name,))]
    if len(entries) == 1 and entries[0].is_dir() and (entries[0] / GRADESCOPE_METADATA).is_file():
        raise UsageError(f"{root} holds only {entries[0].name}/, which has a {GRADESCOPE_METADATA}: if it is "
                         f"Gradescope's export, give {entries[0]} itself")


def discover(activity: Activity, submissions: Path, *, unpack_into: Path,
             roster: dict[str, str] | None = None, prefer: str = "last") -> Found:
    """Every student's files under `submissions` (a folder or a zip; a zip is unpacked under
    `unpack_into`); `roster` (id -> name) names them and tells who submitted nothing; `prefer` says
    which of several submissions of one notebook is graded ("last" or "first" by the LMS's order)."""
    if prefer not in PREFERENCES:
        raise UsageError(f"--prefer {prefer}: give one of {', '.join(PREFERENCES)}")
    submissions = Path(submissions)
    if submissions.is_file():
        unpacked = unpack(submissions, unpack_into)
        collect = _Collector(activity, unpacked.folder, f"{submissions.name}:", prefer)
        collect.unassigned += [Unassigned(f"{submissions.name}:{name}", why)
                               for name, why in unpacked.left_out]
        root = unpacked.folder
        entries = [entry for entry in root.iterdir() if not ignored((entry.name,))]
        if len(entries) == 1 and entries[0].is_dir():
            root = entries[0]   # a zip of one folder holding the class (Gradescope's download is one)
    elif submissions.is_dir():
        collect, root = _Collector(activity, submissions, "", prefer), submissions
        _refuse_a_wrapped_export(root)
    else:
        raise UsageError(f"{submissions} does not exist; give the folder of submissions or the LMS zip")
    metadata = root / GRADESCOPE_METADATA   # staff's, at the root of the export: never a student's
    if metadata.is_file() and not metadata.is_symlink():
        _gradescope(metadata, collect)
    else:
        _folder(root, collect)
    found = collect.result(roster)
    if not found.students:
        raise UsageError(f"no submissions found in {submissions}: give a folder of notebooks named by "
                         "student id, a folder of per-student folders, or a Canvas or Gradescope zip")
    return found
