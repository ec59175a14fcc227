"""Evals: eval bundles from the holdout, results and reports, the ship gate."""
