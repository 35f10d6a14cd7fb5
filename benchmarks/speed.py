"""How fast is the emulator? Prints, per course dataset, fit + deploy + predict wall time
(kernel start and SDK import excluded), training on 100,000 x 10 with 32 models and 10 epochs,
RecordIO decoding of 100,000 x 10, and the cost of a fresh account.

    python benchmarks/speed.py [--data-dir ../shared/data]
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from emulated_sagemaker import EmulatedSageMaker
from fidelity import datasets

from grader import recordio


def timed(action, *args):
    started = time.perf_counter()
    result = action(*args)
    return result, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = parser.parse_args()
    with EmulatedSageMaker() as sagemaker:
        print(f"{'dataset':<14} {'rows':>6} {'fit s':>7} {'deploy s':>9} {'predict s':>10} {'total s':>8}"
              "  (target < 1 s)")
        for activity, x, y, hyperparameters in datasets(args.data_dir):
            cut = int(len(x) * 0.8)
            model, fit_s = timed(sagemaker.fit, x[:cut], y[:cut], hyperparameters)
            endpoint, deploy_s = timed(sagemaker.deploy, model)
            _, predict_s = timed(sagemaker.predict, endpoint, x[cut:])
            print(f"{activity:<14} {len(x):>6} {fit_s:>7.3f} {deploy_s:>9.3f} {predict_s:>10.3f} "
                  f"{fit_s + deploy_s + predict_s:>8.3f}")
        rng = np.random.default_rng(0)
        big_x = rng.normal(size=(100_000, 10)).astype(np.float32)
        big_y = (big_x @ rng.normal(size=10)).astype(np.float32)
        _, big_s = timed(sagemaker.fit, big_x, big_y, {"feature_dim": 10, "predictor_type": "regressor",
                                                       "num_models": 32, "epochs": 10})
        print(f"training 100,000 x 10, 32 models, 10 epochs (upload + job): {big_s:.2f} s  (target < 10 s)")
        encoded = recordio.write_dense(big_x, big_y)
        _, decode_s = timed(recordio.read, encoded)
        print(f"RecordIO decode of 100,000 x 10 ({len(encoded) / 1e6:.1f} MB): {decode_s:.3f} s")
        accounts = [timed(sagemaker.emulator.new_account)[1] for _ in range(10)]
        print(f"fresh account (role, managed policies, credentials): "
              f"median {np.median(accounts) * 1000:.0f} ms over 10")


if __name__ == "__main__":
    main()
