"""The only package that runs SQL. Callers get typed functions over an open ``Store``."""

from labeler.store.connection import Store, open_store

__all__ = ["Store", "open_store"]
