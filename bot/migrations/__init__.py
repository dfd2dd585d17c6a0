"""Alembic migrations, applied with ``bot.storage.upgrade_database`` or ``qabot db upgrade``."""
