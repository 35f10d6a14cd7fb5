"""IPython extension loaded into graded kernels: `!pip install` and `%pip install` download nothing.

A graded kernel is offline, so an install line either names packages the grading environment
already has (the line becomes a no-op, with a note) or it fails the cell saying which package is
missing. Notes travel as display data of NOTE_MIME so the runner can put them in the run record.
Standard library only.
"""

import re
import shlex
from importlib import metadata

NOTE_MIME = "application/vnd.grader.note+json"
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


def handle_pip(arguments, shell):
    """Act on `pip <arguments>` without downloading anything."""
    words = shlex.split(arguments)
    if not words or words[0] != "install":
        _note(shell, f"pip {arguments.strip()}: skipped, the grading environment does not run pip")
        return
    found, missing = [], []
    for requirement in _requested_packages(arguments):
        name, version = _installed_version(requirement)
        (found if version else missing).append(f"{name} {version}" if version else name)
    if missing:
        raise PackageNotAvailable(
            f"the grading environment does not have {', '.join(missing)} and cannot download packages "
            "(grading is offline); ask course staff to add it to the grader, or remove the install line")
    _note(shell, f"pip install skipped: already installed ({', '.join(found)})" if found
          else "pip install with no package names: skipped")


def _note(shell, text):
    from IPython.display import display

    display({NOTE_MIME: {"note": text}, "text/plain": f"[grader] {text}"}, raw=True)


def load_ipython_extension(shell):
    original_system = shell.system

    def system(command):
        pip = _PIP_COMMAND.match(command or "")
        if pip:
            return handle_pip(pip.group("args"), shell)
        return original_system(command)

    shell.system = system
    shell.register_magic_function(lambda line: handle_pip(line, shell), "line", "pip")
