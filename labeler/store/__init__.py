"""The only package that runs SQL. Callers get typed functions over an open ``Store``;
writes run on the ``writer.Writer``, which hands them a ``WriteStore``.

Nothing is imported here: 'labeler pack verify' reaches ``store.key`` without loading the driver.
"""
