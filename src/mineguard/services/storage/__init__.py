"""Storage: SQLAlchemy 2 models, engines for SQLite (default) and PostgreSQL, Alembic migrations."""
