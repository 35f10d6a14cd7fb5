"""The checkout's way to build a Gradescope autograder zip; the same as `grader gradescope`:

    python gradescope/make_autograder.py housing --out housing-autograder.zip [--data-dir DIR]
"""

import sys

from grader.cli import main

if __name__ == "__main__":
    sys.exit(main(["gradescope", *sys.argv[1:]]))
