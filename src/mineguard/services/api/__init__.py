"""The HTTP API (FastAPI): one router per resource under ``/api/v1``, documented in OpenAPI."""
