"""Errors raised for problems in user-supplied data (data.yaml, label files, annotation exports).

Every message names the file, the key or element that is wrong, and what to do about it, so the
CLI can print it as ``error: <message>`` instead of a traceback.
"""

from __future__ import annotations


class DatasetError(ValueError):
    """A data set, data.yaml or annotation file that cannot be used as given.

    Example message: ``data.yaml: 'names' missing — list the class names``.
    """
