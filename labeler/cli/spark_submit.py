"""spark-submit's entry point for triage: the arguments of `labeler bundle build`, run with
the Spark engine in the session spark-submit made (docs/triage.md)::

    job=$(python -c 'import labeler.cli.spark_submit as m; print(m.__file__)')
    spark-submit --master yarn "$job" 's3a://lake/events/*.parquet' --week 2026-W48 -o w.lbundle

Only the driver needs Labeler installed: the executors run Spark SQL's own functions.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from labeler.cli import main as cli_main

    args = list(sys.argv[1:] if argv is None else argv)
    sys.argv = ["labeler", "bundle", "build", "--engine", "spark", *args]
    cli_main()


if __name__ == "__main__":
    main()
