"""Privacy duties: deletion requests (purge, tombstones) and retention of raw texts."""
