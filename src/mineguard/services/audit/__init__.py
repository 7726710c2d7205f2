"""The tamper-evident event log: each entry carries the hash of the previous one."""
