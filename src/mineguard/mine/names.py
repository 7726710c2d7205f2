"""Checks shared by the site file's sections."""

from __future__ import annotations

from collections.abc import Iterable


def named_twice(names: Iterable[str]) -> list[str]:
    """The names that occur more than once, sorted: ``["b", "a", "b"]`` → ``["b"]``."""
    names = list(names)
    return sorted({name for name in names if names.count(name) > 1})
