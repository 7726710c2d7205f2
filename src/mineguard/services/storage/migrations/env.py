"""Alembic environment: runs on the engine passed in ``config.attributes['engine']``."""

from __future__ import annotations

from alembic import context

from mineguard.services.storage.models import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
