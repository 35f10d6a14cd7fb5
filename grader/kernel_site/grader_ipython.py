"""IPython extension loaded into graded kernels: `!pip install` and `%pip install` download nothing,
and what the cell drew with matplotlib is described for the run record.

A graded kernel is offline, so an install line either names packages the grading environment
already has (the line becomes a no-op, with a note) or it fails the cell saying which package is
missing. Notes travel as display data of NOTE_MIME so the runner can put them in the run record.
Standard library only.
"""

import re
import shlex
from importlib import metadata

NOTE_MIME = "application/vnd.grader.note+json"
FIGURE_MIME = "application/vnd.grader.figure+json"
TITLE_CHARACTERS = 200
_reported_figures = {}   # id(figure) -> the facts last reported, so an unchanged figure is reported once
_PIP_COMMAND = re.compile(r"^\s*(?:\S*python[\d.]*\s+-m\s+)?(?:\S*/)?pip3?(?:\.exe)?\s+(?P<args>.*)$")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_OPTIONS_WITH_VALUE = {"-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
                       "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root",
                       "--upgrade-strategy", "--trusted-host", "--proxy", "--timeout", "--cache-dir"}


class PackageNotAvailable(ImportError):
    """The notebook installs a package the offline grading environment does not have."""


def _requested_packages(arguments):
    words = shlex.split(arguments)
    packages, skip_next = [], False
    for word in words[1:]:   # words[0] is the pip subcommand
        if skip_next:
            skip_next = False
        elif word.startswith("-"):
            skip_next = word in _OPTIONS_WITH_VALUE
        else:
            packages.append(word)
    return packages


def _installed_version(requirement):
    name = _NAME.match(requirement)
    if not name:
        return requirement, None
    try:
        return name.group(1), metadata.version(name.group(1))
    except metadata.PackageNotFoundError:
        return name.group(1), None


def handle_pip(arguments):
    """Act on `pip <arguments>` without downloading anything."""
    words = shlex.split(arguments)
    if not words or words[0] != "install":
        note(f"pip {arguments.strip()}: skipped, the grading environment does not run pip")
        return
    found, missing = [], []
    for requirement in _requested_packages(arguments):
        name, version = _installed_version(requirement)
        (found if version else missing).append(f"{name} {version}" if version else name)
    if missing:
        raise PackageNotAvailable(
            f"the grading environment does not have {', '.join(missing)} and cannot download packages "
            "(grading is offline); ask course staff to add it to the grader, or remove the install line")
    note(f"pip install skipped: already installed ({', '.join(found)})" if found
         else "pip install with no package names: skipped")


def note(text):
    """Leave a note on the running cell (shown as "[grader] ..."; the runner keeps it in the record)."""
    from IPython import get_ipython
    from IPython.display import display

    if get_ipython() is not None:
        display({NOTE_MIME: {"note": text}, "text/plain": f"[grader] {text}"}, raw=True)


def load_ipython_extension(shell):
    original_system = shell.system

    def system(command):
        pip = _PIP_COMMAND.match(command or "")
        if pip:
            return handle_pip(pip.group("args"))
        return original_system(command)

    shell.system = system
    shell.register_magic_function(handle_pip, "line", "pip")
    shell.events.register("post_execute", report_figures)


def figure_facts(figure):
    """What a matplotlib figure shows, small enough for the run record: per axes its title, how many
    lines and the most points on one line, and how many bars (histogram patches)."""
    return {"axes": [{"title": axes.get_title()[:TITLE_CHARACTERS], "lines": len(axes.get_lines()),
                      "points": max((len(line.get_xdata()) for line in axes.get_lines()), default=0),
                      "bars": len(axes.patches)} for axes in figure.axes]}


def report_figures():
    """After each cell (before the inline backend closes its figures): describe every figure that is
    new or changed, as display data the runner keeps. Only if the notebook imported pyplot itself."""
    import sys

    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return
    try:
        from matplotlib._pylab_helpers import Gcf

        for manager in Gcf.get_all_fig_managers():
            figure = manager.canvas.figure
            facts = figure_facts(figure)
            if _reported_figures.get(id(figure)) != facts:
                _reported_figures[id(figure)] = facts
                _display_facts(facts)
    except Exception:   # describing is a courtesy: it must never fail the student's cell
        return


def _display_facts(facts):
    from IPython.display import display

    summary = "; ".join(f"{axes['lines']} line(s) of up to {axes['points']} points, {axes['bars']} bar(s)"
                        for axes in facts["axes"])
    display({FIGURE_MIME: facts, "text/plain": f"[grader] figure: {summary}"}, raw=True)
