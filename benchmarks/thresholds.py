"""Are the rubric thresholds right? For each model activity, over N random 80/20 splits trained on
the emulator with the lesson's hyperparameters, how often a CORRECT notebook would fail the
activity's thresholds (it must be ~never), and how often a model trained on SHUFFLED labels would
pass them (what the model-quality check misses). Thresholds are read from activity.toml.

    python benchmarks/thresholds.py [--splits 200] [--data-dir ../shared/data]
"""

import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import mean_squared_error, r2_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from emulated_sagemaker import EmulatedSageMaker
from fidelity import course_split, datasets, split_options

from grader.activities import load


def passes(thresholds: dict, truth, predictions, every_truth, every_predictions) -> bool:
    """The model-quality check's rule (grader/checks/metrics.py): a regressor that misses on its test
    set passes when it reaches the thresholds on every record (train and test) it was given."""
    if "accuracy_min" in thresholds:
        return float(np.mean(np.asarray(predictions) == truth)) >= thresholds["accuracy_min"]

    def reaches(actual, guess) -> bool:
        r2, rmse = r2_score(actual, guess), float(np.sqrt(mean_squared_error(actual, guess)))
        return r2 >= thresholds["r2_min"] and rmse <= thresholds["rmse_max"]

    return reaches(truth, predictions) or reaches(every_truth, every_predictions)


def main() -> None:
    args = split_options()
    rng = np.random.default_rng(0)
    print(f"{'activity':<12} {'thresholds':<28} {'correct runs failing':>21} {'shuffled runs passing':>22}")
    with EmulatedSageMaker() as sagemaker:
        for activity, x, y, hyperparameters in datasets(args.data_dir):
            thresholds = load(activity).thresholds
            false_fail = missed = 0
            for split in range(args.splits):
                for shuffled in (False, True):
                    labels = rng.permutation(y) if shuffled else y
                    x_train, x_test, y_train, y_test = course_split(activity, x, labels, split)
                    every = sagemaker.fit_deploy_predict(x_train, y_train, np.vstack([x_test, x_train]),
                                                         hyperparameters)
                    ok = passes(thresholds, y_test, every[:len(y_test)], np.concatenate([y_test, y_train]),
                                every)
                    false_fail += not ok and not shuffled
                    missed += ok and shuffled
            limits = ", ".join(f"{k}={v}" for k, v in thresholds.items())
            print(f"{activity:<12} {limits:<28} {false_fail:>10} of {args.splits:<8} "
                  f"{missed:>11} of {args.splits}")


if __name__ == "__main__":
    main()
