"""Similarity detection on a planted class (tests/similarity_class.py): precision and recall of the
pairs grader/review/similarity.py lists, the scores (the smaller of the two students' shares of their
own code, beyond the starter and solution) of the planted copies, of the honest look-alikes and of the
closest honest pair, and the time it takes.

    python benchmarks/similarity.py [--honest N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from similarity_class import HOUSING, make_class

from grader.review import similarity


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--honest", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        copies = make_class(Path(scratch), honest=args.honest)
        submissions = {path.stem: [path] for path in sorted(Path(scratch).glob("*.ipynb"))}
        started, cpu = time.perf_counter(), time.process_time()
        pairs = similarity.similar_pairs(HOUSING, submissions)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        found = {frozenset((pair.a, pair.b)) for pair in pairs}
        true = found & copies
        print(f"{len(submissions)} students, {len(submissions) * (len(submissions) - 1) // 2} pairs, "
              f"{len(copies)} planted copies; {seconds:.2f} s ({cpu_seconds:.2f} s CPU)")
        print(f"listed {len(found)} pair(s): precision {len(true) / len(found) if found else 1:.2f}, "
              f"recall {len(true) / len(copies):.2f}")
        for pair in pairs:
            planted = "(planted)" if frozenset((pair.a, pair.b)) in copies else "(NOT planted)"
            print(f"  {pair.a} ~ {pair.b}: {pair.share_a:.2f} / {pair.share_b:.2f}, "
                  f"{pair.shared_chars} chars {planted}")
        saved = (similarity.MIN_SHARE, similarity.MIN_SHARED_CHARS)
        similarity.MIN_SHARE, similarity.MIN_SHARED_CHARS = 0.0, 0   # every pair's score, to see the margins
        every = similarity.similar_pairs(HOUSING, submissions)
        similarity.MIN_SHARE, similarity.MIN_SHARED_CHARS = saved
        scores = {frozenset((pair.a, pair.b)): pair for pair in every}
        honest = [pair for key, pair in scores.items() if key not in copies]
        lookalikes = [scores.get(frozenset((f"lookalike{n}a", f"lookalike{n}b"))) for n in range(3)]
        print("look-alike pairs: " + ", ".join(f"{pair.score:.2f} ({pair.shared_chars} chars)" if pair
                                               else "0 (nothing shared)" for pair in lookalikes))
        long_enough = [pair for pair in honest if pair.shared_chars >= similarity.MIN_SHARED_CHARS]
        closest = max(long_enough, key=lambda pair: pair.score, default=None)
        if closest:
            print(f"closest pair that is not a copy, sharing at least {similarity.MIN_SHARED_CHARS} chars: "
                  f"{closest.a} ~ {closest.b} {closest.score:.2f} ({closest.shared_chars} chars); "
                  f"threshold {similarity.MIN_SHARE}")
        print("planted copies: " + ", ".join(f"{scores[key].score:.2f} ({scores[key].shared_chars} chars)"
                                            if key in scores else "not found"
                                            for key in sorted(copies, key=sorted)))


if __name__ == "__main__":
    main()
