"""Users, roles and tokens (seed 004 §3.1.4): enforced by the API, not only hidden in a UI."""
