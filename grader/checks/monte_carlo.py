"""Monte Carlo checks: what the notebook produced, read from its run record (the figures it drew,
what it printed and displayed), never whether it merely ran to the end. A starter whose blanks are
comment-only cells runs to the end and produces none of it.

Expected values (`[expected.monte_carlo]` in activity.toml): the notebook's name, the number of
simulations and trading days its instructions ask for, and whether they ask for a confidence interval.
The course's older versions of the notebook (`[[versions]]`) ask for other sizes and no interval; a
run is graded against the version it was matched to.
"""

from __future__ import annotations

import re

from ..execution.record import RunRecord
from .evidence import Evidence
from .outcome import Outcome, failed, passed, skipped

MIN_TRAJECTORIES = 10   # lines on one axes that make a plot of simulated paths (a price chart has a few)
_FRAME_SHAPE = re.compile(r"\[(\d+) rows x (\d+) columns\]")
_NUMBER = r"(-?\d[\d,]*(?:\.\d+)?(?:e-?\d+)?)"
_INTERVALS = (   # lower and upper bound of a 95% confidence interval, as notebooks print it
    # summarize_cumulative_return()
    re.compile(r"95% CI Lower\s+" + _NUMBER + r"\s*\n\s*95% CI Upper\s+" + _NUMBER),
    # Series.quantile([.025, .975])
    re.compile(r"0\.025\s+" + _NUMBER + r"\s*\n\s*0\.975\s+" + _NUMBER),
    # "... within the range of $a and $b"
    re.compile(r"range of \$?\s?" + _NUMBER + r"\s+and\s+\$?\s?" + _NUMBER),
)


def _run(ev: Evidence) -> tuple[RunRecord | None, Outcome | None]:
    name = ev.expected["monte_carlo"]["notebook"]
    if not ev.runs:
        return None, skipped(f"graded from account state: {name} is checked when the notebooks are submitted")
    run = ev.run_of(name)
    if run is None:
        return None, failed(f"{name} was not submitted; grade it with `grader check {ev.activity.id}` and "
                            f"{', '.join(ev.activity.notebooks)}")
    return run, None


def _asked(ev: Evidence, run: RunRecord) -> tuple[dict, str]:
    """What the run's version of the notebook asks, and the version's title in brackets (or nothing)."""
    version = ev.activity.version(run.notebook, run.submission.get("version"))
    return ev.expected_of(run)["monte_carlo"], f" ({version.title})" if version else ""


def _trajectory_plots(run: RunRecord) -> list[dict]:
    """Axes with many lines: plots of simulated paths (lines = simulations, points = days + 1)."""
    return [{**axes, "cell": cell.index} for cell in run.cells for figure in cell.figures
            for axes in figure.get("axes", []) if axes.get("lines", 0) >= MIN_TRAJECTORIES]


def _texts(run: RunRecord) -> list[tuple[int, str]]:
    return [(cell.index, text) for cell in run.cells
            for text in [cell.stdout, *(r["text"] for r in cell.rich)] if text]


def simulated(ev: Evidence) -> Outcome:
    """A simulation of the asked number of runs over the asked number of trading days: its plotted
    paths, or a displayed table of its cumulative returns with that shape."""
    run, outcome = _run(ev)
    if outcome:
        return outcome
    asked, version = _asked(ev, run)
    runs, days = int(asked["simulations"]), int(asked["trading_days"])
    found = [(plot["lines"], plot["points"], plot["cell"]) for plot in _trajectory_plots(run)]
    found += [(int(columns), int(rows), index) for index, text in _texts(run)
              for rows, columns in _FRAME_SHAPE.findall(text)]
    for simulations, length, cell in found:
        if simulations == runs and length in (days, days + 1):
            return passed(f"{run.submission['name']} simulated {runs} paths of {days} trading days "
                          f"(cell {cell})",
                          simulations=runs, trading_days=days, cell=cell)
    if not found:
        return failed(f"{run.submission['name']} shows no simulation: no plot of simulated paths and "
                      "no table of "
                      f"cumulative returns; run {runs} simulations of {days} trading days and plot them",
                      asked={"simulations": runs, "trading_days": days})
    seen = ", ".join(f"{simulations} x {length} (cell {cell})" for simulations, length, cell in found[:3])
    return failed(f"{run.submission['name']} simulated other sizes ({seen}, simulations x days); the "
                  f"notebook{version} asks for {runs} simulations of {days} trading days",
                  asked={"simulations": runs, "trading_days": days})


def plotted(ev: Evidence) -> Outcome:
    """The simulated cumulative returns were plotted (a figure with one line per simulation)."""
    run, outcome = _run(ev)
    if outcome:
        return outcome
    plots = _trajectory_plots(run)
    if not plots:
        return failed(f"{run.submission['name']} plots no simulated paths; plot the cumulative returns "
                      "of every "
                      "simulation (for example MC.plot_simulation())")
    plot = max(plots, key=lambda item: item["lines"])
    return passed(f"cell {plot['cell']} plots {plot['lines']} simulated paths of {plot['points']} points"
                  + (f" ('{plot['title']}')" if plot.get("title") else ""), **plot)


def interval_printed(ev: Evidence) -> Outcome:
    """The summary with the 95% confidence interval was printed or displayed."""
    run, outcome = _run(ev)
    if outcome:
        return outcome
    asked, version = _asked(ev, run)
    if not asked.get("interval", True):
        return skipped(f"{run.submission['name']} is a version of the notebook that asks for no confidence "
                       f"interval{version}")
    for index, text in _texts(run):
        for pattern in _INTERVALS:
            for low, high in pattern.findall(text):
                lower, upper = float(low.replace(",", "")), float(high.replace(",", ""))
                if lower < upper:
                    return passed(f"cell {index} shows the 95% confidence interval {lower:g} to {upper:g}",
                                  lower=lower, upper=upper, cell=index)
    return failed(f"{run.submission['name']} shows no 95% confidence interval; print the simulation's "
                  "summary "
                  "(MC.summarize_cumulative_return()) or the 2.5% and 97.5% quantiles of the final returns")
