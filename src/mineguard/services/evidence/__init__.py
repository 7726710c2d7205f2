"""Camera evidence (snapshots and clips) stored by content hash, with a retention limit."""
