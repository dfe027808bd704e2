"""Plan sources (offline run, preview, stack export) and the normalized inventory."""
