"""Does the labels check tell shuffled labels from correct ones? For each model activity, over N
random 80/20 splits done as the course notebooks do them (credit risk scaled with a StandardScaler
fitted on train), how often the check fails a CORRECT upload (it must be never) and how often it
passes an upload whose labels were SHUFFLED before the split (it must be never), with the share of
records that disagree. No training is needed: the check reads only the uploaded records.

    python benchmarks/labels.py [--splits 200] [--data-dir ../shared/data]
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fidelity import course_split, datasets, split_options

from grader.activities import load
from grader.checks.labels import agreement, course_table
from grader.recordio import Records


def uploaded(x, y) -> Records:
    """What the notebook uploads: float32 features and labels, as write_numpy_to_dense_tensor stores them."""
    return Records(features=np.asarray(x, np.float32), labels=np.asarray(y, np.float32),
                   feature_dtype="float32",
                   label_dtype="float32")


def main() -> None:
    args = split_options()
    rng = np.random.default_rng(0)
    print(f"{'activity':<12} {'limit':>6} {'correct runs failing':>21} {'shuffled runs passing':>22} "
          f"{'disagreeing share, shuffled (min / median)':>44}")
    for activity_id, x, y, _ in datasets(args.data_dir):
        activity = load(activity_id)
        table = course_table(activity.expected["course_table"], [])   # the grader's default copy of the data
        limit = float(activity.thresholds["labels_disagree_max"])
        false_fail = missed = 0
        shares = []
        for split in range(args.splits):
            for shuffled in (False, True):
                labels = rng.permutation(y) if shuffled else y
                x_train, x_test, y_train, y_test = course_split(activity_id, x, labels, split)
                found = agreement(table, uploaded(x_train, y_train), uploaded(x_test, y_test))
                fails = found is None or found["share"] > limit
                false_fail += fails and not shuffled
                missed += not fails and shuffled
                if shuffled and found:
                    shares.append(found["share"])
        print(f"{activity_id:<12} {limit:>6} {false_fail:>10} of {args.splits:<8} "
              f"{missed:>11} of {args.splits:<8} {min(shares):>30.1%} / {float(np.median(shares)):.1%}")


if __name__ == "__main__":
    main()
