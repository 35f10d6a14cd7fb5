"""The Monte Carlo notebook in the course's versions, as students submit them, scores full marks
through `grader check`: the MCForecastTools one in 2020 form (nbformat 3, no kernelspec,
`get_barset`, fixed dates) and 2021 form (`get_bars` for "the last 30 days before now", whatever
year it is now), and the older hand-written loops of 10 simulations of 252 * 30 days (`get_barset`,
then `get_bars`), each graded against what its own version asks; each version's starter scores low."""

import json
from pathlib import Path

import pytest
from real_notebooks import write_v3

from grader.activities import load
from grader.cli import main
from grader.execution import read_submission
from grader.execution.matching import match_notebooks
from grader.grading.grade import RESULT_FILE
from grader.grading.result import GradeResult

ACTIVITY = Path(__file__).resolve().parents[1] / "activities" / "sagemaker-notebook"

# 2020: market data v1 (get_barset), one column group per symbol already, no kernelspec after a
# conversion from nbformat 3. Written here for the tests, in the course's style.
GET_BARSET_2020 = [
    """
    # Initial imports
    import os
    import requests
    import pandas as pd
    import alpaca_trade_api as tradeapi
    from dotenv import load_dotenv
    from MCForecastTools import MCSimulation
    %matplotlib inline
    """,
    "load_dotenv()",
    """
    alpaca_api_key = os.getenv("ALPACA_API_KEY")
    alpaca_secret_key = os.getenv("ALPACA_SECRET_KEY")
    api = tradeapi.REST(alpaca_api_key, alpaca_secret_key, api_version="v2")
    """,
    """
    # Set timeframe to '1D'
    timeframe = "1D"
    start_date = pd.Timestamp("2017-05-01", tz="America/New_York").isoformat()
    end_date = pd.Timestamp("2020-05-01", tz="America/New_York").isoformat()
    tickers = ["AGG", "SPY"]
    # Get 3 years' worth of historical data for AGG and SPY
    df_stock_data = api.get_barset(tickers, timeframe, start=start_date, end=end_date, limit=1000).df
    df_stock_data.head()
    """,
    "# YOUR CODE HERE\n# (left blank on purpose: a comment-only cell)",
    """
    MC_sixty_forty = MCSimulation(portfolio_data=df_stock_data, weights=[.40, .60], num_simulation=500,
                                  num_trading_days=252 * 5)
    MC_sixty_forty.calc_cumulative_return()
    """,
    "line_plot = MC_sixty_forty.plot_simulation()",
    "dist_plot = MC_sixty_forty.plot_distribution()",
    """
    tbl = MC_sixty_forty.summarize_cumulative_return()
    print(tbl)
    """,
]


MONTE_CARLO_CHECKS = ("monte_carlo_simulated", "monte_carlo_plotted", "monte_carlo_interval")
LOOP_VERSIONS = ("get-barset-loop", "get-bars-loop")   # solution/versions/<name>/monte_carlo.ipynb


def grade(tmp_path, monte_carlo: Path) -> tuple[dict, dict]:
    out = tmp_path / "out"
    notebooks = [str(ACTIVITY / "solution" / "create_infrastructure.ipynb"), str(monte_carlo)]
    assert main(["check", "sagemaker-notebook", *notebooks, "--json", str(tmp_path / "r.json"),
                 "--out", str(out)]) == 0
    (folder,) = (out / "sagemaker-notebook").iterdir()   # the submission's own output folder
    return (json.loads((tmp_path / "r.json").read_text()),
            json.loads((folder / "monte_carlo.run.json").read_text()))


@pytest.mark.slow
def test_the_2020_get_barset_version_scores_full_marks_with_notes(tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()   # no MCForecastTools.py beside it: the activity's copy is put there
    result, run = grade(tmp_path, write_v3(folder / "monte_carlo.ipynb", GET_BARSET_2020))
    assert [cell["index"] for cell in run["cells"] if cell["status"] != "ok"] == []
    assert result["score"] == result["max_score"], [(c["id"], c["message"]) for c in result["checks"]
                                                    if c["status"] == "fail"]
    notes = [note for cell in run["cells"] for note in cell["notes"]]
    assert any("REST.get_barset (market data v1) was removed" in note for note in notes)
    assert (run["submission"]["accepted_as"]["nbformat"] == 3
            and run["submission"]["accepted_as"]["kernel"] is None)
    assert run["services"]["market_data"]["replayed"] == []   # 2017-2020 is inside the recording


@pytest.mark.slow
def test_the_last_30_days_version_scores_full_marks_with_the_replay_recorded(tmp_path):
    result, run = grade(tmp_path, ACTIVITY / "solution" / "monte_carlo.ipynb")
    assert result["score"] == result["max_score"]
    replayed = run["services"]["market_data"]["replayed"]
    assert replayed and replayed[0]["symbols"] == ["AGG", "SPY"] and replayed[0]["offset_days"] % 364 == 0


def monte_carlo_checks(result: dict) -> dict:
    return {check["id"].split(".")[-1]: check for check in result["checks"]
            if check["id"].split(".")[-1] in MONTE_CARLO_CHECKS}


def test_a_loop_version_saved_under_a_students_name_is_matched_to_its_notebook_and_version(tmp_path):
    activity = load("sagemaker-notebook")
    for version in LOOP_VERSIONS:
        alice = tmp_path / "alice.ipynb"   # a class folder's <student>.ipynb
        alice.write_bytes((ACTIVITY / "solution" / "versions" / version / "monte_carlo.ipynb").read_bytes())
        matched = match_notebooks(activity, [read_submission(alice)])
        assert list(matched.by_notebook) == ["monte_carlo.ipynb"]
        assert matched.how["monte_carlo.ipynb"] == "content"
        assert matched.by_notebook["monte_carlo.ipynb"].version == version
    matched = match_notebooks(activity, [read_submission(ACTIVITY / "starter" / "monte_carlo.ipynb")])
    assert matched.by_notebook["monte_carlo.ipynb"].version == "mcforecasttools"


@pytest.mark.slow
@pytest.mark.parametrize("version", LOOP_VERSIONS)
def test_a_loop_versions_solution_under_a_students_name_earns_full_marks_for_its_sizes(tmp_path, version):
    alice = tmp_path / "alice.ipynb"
    alice.write_bytes((ACTIVITY / "solution" / "versions" / version / "monte_carlo.ipynb").read_bytes())
    result, run = grade(tmp_path, alice)
    assert result["score"] == result["max_score"], [(c["id"], c["message"]) for c in result["checks"]
                                                    if c["status"] != "pass"]
    (ran,) = [summary for summary in result["runs"] if summary["notebook"] == "monte_carlo.ipynb"]
    assert ran["file"] == "alice.ipynb" and ran["version"] == version
    assert run["submission"]["version"] == version
    checks = monte_carlo_checks(result)
    assert checks["monte_carlo_simulated"]["evidence"]["simulations"] == 10
    assert checks["monte_carlo_simulated"]["evidence"]["trading_days"] == 252 * 30
    assert checks["monte_carlo_plotted"]["evidence"]["title"] == "Simulated Retirement Portfolio"
    assert checks["monte_carlo_interval"]["status"] == "skip"   # this version asks for no confidence interval


@pytest.mark.slow
@pytest.mark.parametrize("version", ("mcforecasttools", *LOOP_VERSIONS))
def test_each_versions_starter_earns_no_simulation_or_plot_points(tmp_path, version):
    folder = ACTIVITY / "starter" / ("" if version == "mcforecasttools" else f"versions/{version}")
    result, run = grade(tmp_path, folder / "monte_carlo.ipynb")
    assert run["submission"]["version"] == version
    checks = monte_carlo_checks(result)
    assert checks["monte_carlo_simulated"]["status"] == checks["monte_carlo_plotted"]["status"] == "fail"
    earned = sum(check["points"] for check in checks.values())
    assert earned <= 1 < sum(check["max_points"] for check in checks.values())


@pytest.mark.slow
def test_a_class_folder_of_loop_versions_is_graded_each_against_its_version(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    for student, version in zip(("alice", "bob"), LOOP_VERSIONS):
        (folder / f"{student}.ipynb").write_bytes(
            (ACTIVITY / "solution" / "versions" / version / "monte_carlo.ipynb").read_bytes())
    out = tmp_path / "graded"
    assert main(["grade", "sagemaker-notebook", str(folder), "--out", str(out), "--workers", "1"]) == 0
    for student, version in zip(("alice", "bob"), LOOP_VERSIONS):
        result = GradeResult.read(out / student / RESULT_FILE)
        assert [(run["file"], run["version"]) for run in result.runs] == [(f"{student}.ipynb", version)]
        assert result.missing_notebooks == ["create_infrastructure.ipynb"]   # only monte_carlo.ipynb given
        monte_carlo = [check for check in result.checks if check.id.split(".")[-1] in MONTE_CARLO_CHECKS]
        assert sum(check.points for check in monte_carlo) == sum(check.max_points for check in monte_carlo)
