"""The camera box: runs cameras through the vision runtime and sends what they see to a running
MineGuard service over its real API (a client, like the simulated mine; never a back door)."""
