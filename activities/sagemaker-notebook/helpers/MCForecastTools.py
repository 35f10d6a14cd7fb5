"""MCSimulation: Monte Carlo forecasts of a portfolio's cumulative return, for monte_carlo.ipynb.

The course hands students a helper module of this name beside the notebook. This one is the
grader project's own implementation of the same interface (``MCSimulation(portfolio_data, weights,
num_simulation, num_trading_days)`` with ``calc_cumulative_return``, ``plot_simulation``,
``plot_distribution``, ``summarize_cumulative_return``, ``simulated_return`` and
``confidence_interval``), written for today's pandas and vectorised with numpy.

portfolio_data is the notebook's price table: one column group per ticker (``open``, ``high``,
``low``, ``close``, ``volume``), as ``pd.concat([AGG, SPY], axis=1, keys=["AGG", "SPY"])`` builds it.
Each day of each simulation draws every ticker's daily return from a normal distribution with that
ticker's historical mean and standard deviation; the portfolio's daily return is their weighted sum.
"""

import numpy as np
import pandas as pd


class MCSimulation:
    """A Monte Carlo simulation of ``num_simulation`` paths over ``num_trading_days`` trading days."""

    def __init__(self, portfolio_data, weights="", num_simulation=1000, num_trading_days=252):
        if not isinstance(portfolio_data, pd.DataFrame):
            raise TypeError("portfolio_data must be a pandas DataFrame")
        tickers = list(portfolio_data.columns.get_level_values(0).unique())
        if isinstance(weights, str) and weights == "":
            weights = [1.0 / len(tickers)] * len(tickers)
        if len(weights) != len(tickers) or round(sum(weights), 2) != 1.0:
            raise ValueError(f"give one weight per ticker ({', '.join(tickers)}) adding up to 1")
        if "daily_return" not in portfolio_data.columns.get_level_values(1):
            returns = portfolio_data.xs("close", level=1, axis=1).pct_change()
            returns.columns = pd.MultiIndex.from_tuples([(ticker, "daily_return")
                                                         for ticker in returns.columns])
            portfolio_data = pd.concat([portfolio_data, returns], axis=1).reindex(columns=tickers, level=0)
        self.portfolio_data = portfolio_data
        self.weights = list(weights)
        self.nSim = int(num_simulation)
        self.nTrading = int(num_trading_days)
        self.simulated_return = ""
        self.confidence_interval = None

    def calc_cumulative_return(self):
        """Simulate; returns the cumulative returns, one column per simulation (row 0 is 1.0)."""
        daily_returns = self.portfolio_data.xs("daily_return", level=1, axis=1)
        means, deviations = daily_returns.mean().to_numpy(), daily_returns.std().to_numpy()
        print(f"Running {self.nSim} Monte Carlo simulations of {self.nTrading} trading days.")
        drawn = np.random.normal(means, deviations, size=(self.nTrading, self.nSim, len(means)))
        portfolio = np.vstack([np.zeros(self.nSim), drawn @ np.array(self.weights)])
        self.simulated_return = pd.DataFrame(np.cumprod(1 + portfolio, axis=0))
        self.confidence_interval = self.simulated_return.iloc[-1, :].quantile(q=[0.025, 0.975])
        return self.simulated_return

    def _simulated(self):
        if not isinstance(self.simulated_return, pd.DataFrame):
            self.calc_cumulative_return()
        return self.simulated_return

    def plot_simulation(self):
        """Every simulated cumulative-return path over the trading days."""
        title = (f"{self.nSim} Simulations of Cumulative Portfolio Return Trajectories Over the Next "
                 f"{self.nTrading} Trading Days.")
        return self._simulated().plot(legend=None, title=title)

    def plot_distribution(self):
        """Histogram of the final cumulative returns, with the 95% confidence interval in red."""
        title = f"Distribution of Final Cumulative Returns Across All {self.nSim} Simulations"
        axes = self._simulated().iloc[-1, :].plot(kind="hist", bins=10, density=True, title=title)
        axes.axvline(self.confidence_interval.iloc[0], color="r")
        axes.axvline(self.confidence_interval.iloc[1], color="r")
        return axes

    def summarize_cumulative_return(self):
        """Summary statistics of the final cumulative returns, then the 95% confidence interval."""
        metrics = self._simulated().iloc[-1].describe()
        interval = pd.Series(self.confidence_interval.to_numpy(), index=["95% CI Lower", "95% CI Upper"])
        return pd.concat([metrics, interval])
