"""Does the emulator's linear-learner land where real SageMaker did on the course data?

Trains through the emulator (S3 upload, CreateTrainingJob, deploy, InvokeEndpoint) with the
course's hyperparameters over N random 80/20 splits and prints each activity's metric range
beside what real SageMaker gave (recorded in the course's executed notebooks).

    python benchmarks/fidelity.py [--splits 20] [--data-dir ../shared/data]
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))
from emulated_sagemaker import EmulatedSageMaker, boston_rm

REAL = {"rainfall": ("R2", "-0.09 to -0.06", (-0.15, 0.02)),
        "housing": ("R2", "0.49", (0.40, 0.56)),
        "credit-risk": ("accuracy", "0.715 to 0.77", (0.69, 0.80))}


def datasets(data_dir: Path):
    """The course's three problems with its hyperparameters; those whose files are absent are skipped."""
    if (data_dir / "x_austin_final.csv").exists():
        x = pd.read_csv(data_dir / "x_austin_final.csv")[["TempAvgF"]].values
        y = pd.read_csv(data_dir / "y_austin_final.csv", header=None).iloc[:, 0].values
        yield "rainfall", x, y, {"feature_dim": 1, "mini_batch_size": 100, "predictor_type": "regressor",
                                 "epochs": 10, "num_models": 32, "loss": "absolute_loss"}
    else:
        print(f"rainfall: skipped, x_austin_final.csv not found in {data_dir} (pass --data-dir)")
    x, y = boston_rm()
    yield "housing", x, y, {"feature_dim": 1, "mini_batch_size": 100, "predictor_type": "regressor",
                            "epochs": 10, "num_models": 32, "loss": "absolute_loss"}
    if not (data_dir / "german_credit_data.csv").exists():
        print(f"credit-risk: skipped, german_credit_data.csv not found in {data_dir} (pass --data-dir)")
        return
    credit = pd.read_csv(data_dir / "german_credit_data.csv", index_col=0)
    y = (credit["Risk"] == "bad").astype(int).values
    x = pd.get_dummies(credit.drop(columns="Risk")).astype(float).values
    yield "credit-risk", x, y, {"feature_dim": x.shape[1], "mini_batch_size": 100,
                                "predictor_type": "binary_classifier", "epochs": 10, "num_models": 32}


def split_options() -> argparse.Namespace:
    """--splits (random course-style splits per activity) and --data-dir, for the split benchmarks."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--splits", type=int, default=200)
    parser.add_argument("--data-dir", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared" / "data")
    return parser.parse_args()


def course_split(activity: str, x, y, seed: int):
    """An 80/20 split as the course notebooks do it (credit risk scaled with a StandardScaler fitted
    on train): x_train, x_test, y_train, y_test."""
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=seed)
    if activity == "credit-risk":
        scaler = StandardScaler().fit(x_train)
        x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    return x_train, x_test, y_train, y_test


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--splits", type=int, default=20)
    parser.add_argument("--data-dir", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = parser.parse_args()
    print(f"{'activity':<12} {'metric':<9} {'emulator min':>12} {'median':>8} {'max':>8} {'in target':>10}   "
          f"{'exact fit in target':>19}   real SageMaker   target")
    with EmulatedSageMaker() as sagemaker:
        for activity, x, y, hyperparameters in datasets(args.data_dir):
            metric, real, (low, high) = REAL[activity]
            values, exact = [], []
            for split in range(args.splits):
                x_train, x_test, y_train, y_test = course_split(activity, x, y, split)
                predictions = sagemaker.fit_deploy_predict(x_train, y_train, x_test, hyperparameters)
                values.append(score(metric, y_test, predictions))
                exact.append(score(metric, y_test,
                                   exact_fit(hyperparameters, x_train, y_train).predict(x_test)))
            values, exact = np.array(values), np.array(exact)
            print(f"{activity:<12} {metric:<9} {values.min():>12.3f} {np.median(values):>8.3f} "
                  f"{values.max():>8.3f} "
                  f"{np.mean((values >= low) & (values <= high)):>9.0%}   "
                  f"{np.mean((exact >= low) & (exact <= high)):>19.0%}   {real:<15}  [{low}, {high}]")
    print("exact fit: scikit-learn's exact minimiser of the same loss on the same splits, "
          "to show how much of the spread is the data's")


def score(metric, truth, predictions) -> float:
    if metric == "R2":
        return 1 - np.sum((truth - predictions) ** 2) / np.sum((truth - truth.mean()) ** 2)
    return float(np.mean(predictions == truth))


def exact_fit(hyperparameters, x, y):
    from sklearn.linear_model import LinearRegression, LogisticRegression, QuantileRegressor

    if hyperparameters["predictor_type"] == "binary_classifier":
        return LogisticRegression(max_iter=1000).fit(x, y)
    if hyperparameters.get("loss") == "absolute_loss":
        return QuantileRegressor(quantile=0.5, alpha=0, solver="highs").fit(x, y)
    return LinearRegression().fit(x, y)


if __name__ == "__main__":
    main()
