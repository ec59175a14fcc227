"""Staged rollout and its rollback trigger: a plan (stages, guards, error rate), the signals
the team trusts counted per model version and day from capture events and exposures, an
anytime-valid confidence sequence per guarded signal, and the verdict (PROMOTE, ROLLBACK,
CONTINUE), signed and kept beside the gate run that let the model ship."""
