"""User-facing errors: one clear sentence, safe to show (never a key or customer text).

The CLI turns any ``LabelerError`` into its message on stderr and exit code 2; the app shows
it in an error dialog. Anything else is a bug and keeps its traceback.
"""


class LabelerError(Exception):
    """A problem the user can act on; ``str(err)`` is the sentence to show."""


class WorkspaceError(LabelerError):
    """The workspace file cannot be opened, created or changed as asked."""


class KeyUnavailableError(WorkspaceError):
    """No key or passphrase could be had for the workspace."""


class WrongKeyError(WorkspaceError):
    """The key or passphrase given does not open the workspace (a person may try again)."""


class ValidationError(LabelerError):
    """Input from another machine or person (bundle, label file, rubric, pack) is invalid."""
