"""Notebooks written for either library era score full marks through `grader check`.

Course-era notebooks (2019-2021: DataFrame.append, np.float, mean_squared_error(squared=False),
OneHotEncoder(sparse=False) with get_feature_names, Series[-1] read as a position, a course-style
MCForecastTools.py calling Series.append) fail on today's libraries: on the activity's "current"
environment the failure's signature sends them to "course-era", and `--environment course-era` runs
them there directly. Today's notebooks (sparse_output=, get_feature_names_out, root_mean_squared_error,
.iloc[-1]) run on "current", and one run first on "course-era" comes back to "current".
The notebooks are the activities' solutions with the era's code in place of a few cells, saved the
ways real ones arrive (nbformat 3, no kernelspec, SageMaker's kernelspec)."""

import dataclasses
import json
import textwrap
from pathlib import Path

import pytest
from real_notebooks import CONDA_PYTHON3, PYTHON_INFO, write_v3, write_v4
from test_monte_carlo_notebooks import GET_BARSET_2020

from grader.activities import load
from grader.cli import main
from grader.grading.gather import GradingOptions, run_notebooks

ACTIVITIES = Path(__file__).resolve().parents[1] / "activities"
PYTHON3 = {"name": "python3", "display_name": "Python 3", "language": "python"}


def solution_cells(activity: str, notebook: str | None = None) -> list[str]:
    path = ACTIVITIES / activity / "solution" / (notebook or load(activity).notebooks[0])
    return ["".join(cell["source"]) for cell in json.loads(path.read_text())["cells"]
            if cell["cell_type"] == "code"]


def rewritten(cells: list[str], replacements: dict[str, str]) -> list[str]:
    """The cells, each one that contains a key replaced by that key's code (every key must be found)."""
    out, used = [], set()
    for cell in cells:
        found = [key for key in replacements if key in cell]
        used.update(found)
        out.append(textwrap.dedent(replacements[found[0]]).strip() if found else cell)
    assert used == set(replacements), f"not found in the solution: {set(replacements) - used}"
    return out


RMSE_CELL = "rmse = np.sqrt(mean_squared_error("
ENCODING_CELL = "X = pd.get_dummies("
CREDIT_ENCODING = """
    # Encode the target: good -> 0, bad -> 1
    y = credit_df["Risk"].map({{"good": 0, "bad": 1}}).values

    # One-hot encode the categorical features (a missing value is no category of its own)
    from sklearn.preprocessing import OneHotEncoder
    categorical = ["Sex", "Housing", "Saving accounts", "Checking account", "Purpose"]
    numeric = ["Age", "Job", "Credit amount", "Duration"]
    encoder = OneHotEncoder({sparse}=False)
    encoded = encoder.fit_transform(credit_df[categorical].fillna("missing"))
    names = list(encoder.{feature_names}(categorical))
    encoded_df = pd.DataFrame(encoded, columns=names, index=credit_df.index)
    encoded_df = encoded_df.drop(columns=[name for name in names if name.endswith("_missing")])
    X = pd.concat([credit_df[numeric], encoded_df], axis=1).astype("float32")
    X.head()
"""

COURSE_ERA = {   # activity -> (how the file is saved, the cells replaced)
    "rainfall": ("v3", {RMSE_CELL: """
        # Calculate the RMSE and R2 scores and keep them in a table
        rmse = np.sqrt(mean_squared_error(y_test, y_predictions))
        r2 = r2_score(y_test, y_predictions)
        scores = pd.DataFrame(columns=["metric", "value"])
        scores = scores.append({"metric": "RMSE", "value": rmse}, ignore_index=True)
        scores = scores.append({"metric": "R2", "value": r2}, ignore_index=True)
        print("RMSE: {}".format(rmse))
        print("R2: {}".format(r2))
        scores
    """}),
    "housing": ("conda_python3", {'X = boston["RM"]': """
        X = boston["RM"].values.reshape(-1, 1).astype(np.float)
        y = boston["MEDV"].values.astype(np.float)
    """, RMSE_CELL: """
        # Calculate the RMSE and R2 scores
        rmse = mean_squared_error(y_test, y_predictions, squared=False)
        r2 = r2_score(y_test, y_predictions)
        print("RMSE: {}".format(rmse))
        print("R2: {}".format(r2))
    """}),
    "credit-risk": ("language_info", {ENCODING_CELL: CREDIT_ENCODING.format(sparse="sparse",
                                                                             feature_names="get_feature_names")}),
}

TODAY = {
    "rainfall": {"X = features[": """
        # The average temperature as a one-column matrix; the last day's, to check the data
        X = features[["TempAvgF"]].to_numpy()
        print("last day's average temperature:", features["TempAvgF"].iloc[-1])
    """},
    "housing": {RMSE_CELL: """
        # Calculate the RMSE and R2 scores
        from sklearn.metrics import root_mean_squared_error
        rmse = root_mean_squared_error(y_test, y_predictions)
        r2 = r2_score(y_test, y_predictions)
        print("RMSE: {}".format(rmse))
        print("R2: {}".format(r2))
    """},
    "credit-risk": {ENCODING_CELL: CREDIT_ENCODING.format(sparse="sparse_output",
                                                          feature_names="get_feature_names_out")},
}


def course_era_notebook(folder: Path, activity: str) -> Path:
    saved_as, replacements = COURSE_ERA[activity]
    cells, path = rewritten(solution_cells(activity), replacements), folder / load(activity).notebooks[0]
    if saved_as == "v3":
        return write_v3(path, cells)
    return write_v4(path, cells, kernelspec=CONDA_PYTHON3 if saved_as == "conda_python3" else None,
                    language_info=PYTHON_INFO)


def today_notebook(folder: Path, activity: str) -> Path:
    return write_v4(folder / load(activity).notebooks[0],
                    rewritten(solution_cells(activity), TODAY[activity]),
                    kernelspec=PYTHON3, language_info=PYTHON_INFO)


def check(tmp_path: Path, activity: str, notebooks: list[Path], *options: str) -> tuple[dict, list[dict]]:
    out = tmp_path / "out"
    assert main(["check", activity, *map(str, notebooks), "--json", str(tmp_path / "r.json"),
                 "--out", str(out),
                 *options]) == 0
    result = json.loads((tmp_path / "r.json").read_text())
    runs = [json.loads(path.read_text()) for path in sorted(out.glob("*/*/*.run.json"))]
    return result, runs


def assert_full_marks_and_clean(result: dict, runs: list[dict]) -> None:
    failing = [(run["notebook"], cell["index"], cell["error"]) for run in runs for cell in run["cells"]
               if cell["status"] != "ok"]
    assert not failing, failing
    assert result["score"] == result["max_score"], [(c["id"], c["message"]) for c in result["checks"]
                                                    if c["status"] == "fail"]


def assert_ran_on_course_era(result: dict, runs: list[dict]) -> None:
    for run in runs:
        assert run["environment"]["name"] == "course-era"
        assert run["environment"]["versions"]["pandas"] == "1.5.3" == run["tools"]["pandas"]
        assert run["environment"]["versions"]["scikit-learn"] == "1.1.3"
        assert (run["environment"]["python"].endswith("/bin/python")
                and "course-era-" in run["environment"]["python"])
    assert (result["environment"]["kernel environment"] == "course-era"
            and result["environment"]["numpy"] == "1.23.5")


@pytest.mark.slow
@pytest.mark.parametrize("activity, api", [("rainfall", "Series.append / DataFrame.append (pandas < 2)"),
                                           ("housing", "np.float, np.int, np.object (numpy < 1.24)"),
                                           ("credit-risk", "OneHotEncoder(sparse=...)")])
def test_a_course_era_notebook_is_sent_to_course_era_by_its_failure_and_scores_full_marks(
        tmp_path, capsys, activity, api):
    result, runs = check(tmp_path, activity, [course_era_notebook(tmp_path, activity)])
    scorecard = capsys.readouterr().out
    assert f"ran {load(activity).notebooks[0]} on course-era: " in scorecard
    assert "    kernel environment: re-run on 'course-era' because cell " in scorecard
    assert_full_marks_and_clean(result, runs)
    assert_ran_on_course_era(result, runs)
    environment = runs[0]["environment"]
    assert environment["chosen"] == "a re-run in another library era"
    assert (environment["note"].startswith("re-run on 'course-era' because cell ")
            and api in environment["note"])
    assert "failed on 'current' with " in environment["note"]
    assert (environment["other_run"]["environment"] == "current"
            and environment["other_run"]["cells_not_ok"] >= 1)
    summary = result["runs"][0]
    assert summary["environment"]["name"] == "course-era" and summary["notes"][0].startswith(
        "kernel environment 'course-era': re-run on 'course-era' because")


@pytest.mark.slow
@pytest.mark.parametrize("activity", ["rainfall", "housing", "credit-risk"])
def test_a_course_era_notebook_scores_full_marks_with_environment_course_era(tmp_path, activity):
    result, runs = check(tmp_path, activity, [course_era_notebook(tmp_path, activity)],
                         "--environment", "course-era")
    assert_full_marks_and_clean(result, runs)
    assert_ran_on_course_era(result, runs)
    assert (runs[0]["environment"]["chosen"] == "named by --environment"
            and "note" not in runs[0]["environment"])


@pytest.mark.slow
@pytest.mark.parametrize("activity", ["rainfall", "housing", "credit-risk"])
def test_a_todays_notebook_scores_full_marks_on_current(tmp_path, activity):
    result, runs = check(tmp_path, activity, [today_notebook(tmp_path, activity)])
    assert_full_marks_and_clean(result, runs)
    environment = runs[0]["environment"]
    assert (environment["name"] == "current"
            and environment["chosen"] == f"the {activity} activity's environment")
    assert "note" not in environment and environment["versions"]["pandas"] == runs[0]["tools"]["pandas"]
    assert int(environment["versions"]["pandas"].split(".")[0]) >= 3


@pytest.mark.slow
def test_a_todays_notebook_run_first_on_course_era_comes_back_to_current(emulator, tmp_path):
    activity = dataclasses.replace(load("credit-risk"), environment="course-era")
    options = GradingOptions(submissions=[today_notebook(tmp_path, "credit-risk")])
    said = []
    outcome, = run_notebooks(activity, options, emulator, announce=said.append)
    emulator.remove_account(outcome.account.account_id)
    record = outcome.record
    assert [cell.index for cell in record.cells if cell.status != "ok"] == []
    assert (record.environment["name"] == "current"
            and record.tools["scikit-learn"] == record.environment["versions"]["scikit-learn"] != "1.1.3")
    assert ("failed on 'course-era' with TypeError: OneHotEncoder.__init__() got an unexpected keyword "
            "argument 'sparse_output'") in record.environment["note"]
    assert "OneHotEncoder(sparse_output=...) (scikit-learn >= 1.2)" in record.environment["note"]
    other = record.environment["other_run"]
    assert other["environment"] == "course-era" and "sparse_output" in other["errors"][0]
    assert not said, "course-era was already built: nothing to announce"


# The course's Monte Carlo helper of 2020, in its style: a loop of simulations, the confidence interval
# appended to the summary with Series.append (pandas < 2). Written here for the tests.
COURSE_MC_TOOLS = '''
import numpy as np
import pandas as pd


class MCSimulation:
    """Monte Carlo simulation of a portfolio's cumulative returns (pandas 1.x)."""

    def __init__(self, portfolio_data, weights="", num_simulation=1000, num_trading_days=252):
        if not isinstance(portfolio_data, pd.DataFrame):
            raise TypeError("portfolio_data must be a Pandas DataFrame")
        if weights == "":
            num_stocks = len(portfolio_data.columns.get_level_values(0).unique())
            weights = [1.0 / num_stocks for s in range(0, num_stocks)]
        if round(sum(weights), 2) < .99:
            raise AttributeError("Sum of portfolio weights must equal one.")
        if not "daily_return" in portfolio_data.columns.get_level_values(1).unique():
            close_df = portfolio_data.xs("close", level=1, axis=1).pct_change()
            tickers = portfolio_data.columns.get_level_values(0).unique()
            close_df.columns = pd.MultiIndex.from_tuples([(x, "daily_return") for x in tickers])
            portfolio_data = portfolio_data.merge(close_df, left_index=True, right_index=True).reindex(
                columns=tickers, level=0)
        self.portfolio_data = portfolio_data
        self.weights = weights
        self.nSim = num_simulation
        self.nTrading = num_trading_days
        self.simulated_return = ""

    def calc_cumulative_return(self):
        last_price = self.portfolio_data.xs("close", level=1, axis=1)[-1:].values.tolist()[0]
        daily_returns = self.portfolio_data.xs("daily_return", level=1, axis=1)
        mean_returns = daily_returns.mean().tolist()
        std_returns = daily_returns.std().tolist()
        simulations = {}
        for n in range(self.nSim):
            if n % 100 == 0:
                print(f"Running Monte Carlo simulation number {n}.")
            prices = pd.DataFrame({s: last_price[s] * np.cumprod(np.r_[1, 1 + np.random.normal(
                mean_returns[s], std_returns[s], self.nTrading)]) for s in range(len(last_price))})
            simulations[n] = (1 + prices.pct_change().dot(self.weights).fillna(0)).cumprod()
        self.simulated_return = pd.DataFrame(simulations)
        self.confidence_interval = self.simulated_return.iloc[-1, :].quantile(q=[0.025, 0.975])
        return self.simulated_return

    def plot_simulation(self):
        if not isinstance(self.simulated_return, pd.DataFrame):
            self.calc_cumulative_return()
        title = (f"{self.nSim} Simulations of Cumulative Portfolio Return Trajectories Over the Next "
                 f"{self.nTrading} Trading Days.")
        return self.simulated_return.plot(legend=None, title=title)

    def plot_distribution(self):
        if not isinstance(self.simulated_return, pd.DataFrame):
            self.calc_cumulative_return()
        title = f"Distribution of Final Cumuluative Returns Across All {self.nSim} Simulations"
        plt = self.simulated_return.iloc[-1, :].plot(kind="hist", bins=10, density=True, title=title)
        plt.axvline(self.confidence_interval.iloc[0], color="r")
        plt.axvline(self.confidence_interval.iloc[1], color="r")
        return plt

    def summarize_cumulative_return(self):
        if not isinstance(self.simulated_return, pd.DataFrame):
            self.calc_cumulative_return()
        metrics = self.simulated_return.iloc[-1].describe()
        ci_series = self.confidence_interval
        ci_series.index = ["95% CI Lower", "95% CI Upper"]
        return metrics.append(ci_series)
'''


def last_30_days_version(folder: Path) -> Path:
    """The course's get_bars notebook with its solution's `tickers_data["SPY"][-1]`."""
    cells = rewritten(solution_cells("sagemaker-notebook", "monte_carlo.ipynb"),
                      {"# The latest closing prices": """
        # The latest closing prices
        tickers_data = df_stock_data.xs("close", level=1, axis=1)
        print(f"SPY closed at ${tickers_data['SPY'][-1]:,.2f} and AGG at ${tickers_data['AGG'][-1]:,.2f}")
    """})
    return write_v4(folder / "monte_carlo.ipynb", cells, language_info=PYTHON_INFO)


def get_barset_2020_version(folder: Path) -> Path:
    return write_v3(folder / "monte_carlo.ipynb", GET_BARSET_2020)


@pytest.mark.slow
@pytest.mark.parametrize("version, api", [(last_30_days_version, "Series[-1]"),
                                          (get_barset_2020_version, "Series.append")])
def test_the_course_monte_carlo_versions_run_clean_on_course_era(tmp_path, version, api):
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "MCForecastTools.py").write_text(COURSE_MC_TOOLS)
    infrastructure = ACTIVITIES / "sagemaker-notebook" / "solution" / "create_infrastructure.ipynb"
    result, runs = check(tmp_path, "sagemaker-notebook", [infrastructure, version(folder)])
    assert_full_marks_and_clean(result, runs)
    assert_ran_on_course_era(result, runs)
    run = next(run for run in runs if run["notebook"] == "monte_carlo.ipynb")
    assert "monte_carlo.ipynb cell " in run["environment"]["note"] and api in run["environment"]["note"]
    assert run["helpers"][0]["source"] == "submission"
    summary = next(cell for cell in run["cells"] if "summarize_cumulative_return" in cell["source"])
    assert "95% CI Lower" in summary["stdout"]
