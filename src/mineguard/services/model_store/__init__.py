"""The registry of served models: versioned files per model kind and site, one active, each change audited.

``kinds`` says which kinds of model exist and how each loads and falls back; ``store`` keeps their
versions in the database. The running service serves the active versions through
``services/alerts/served_models.py``.
"""
