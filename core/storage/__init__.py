"""Storage: atomic writes, folders published by rename, locks and process checks."""
