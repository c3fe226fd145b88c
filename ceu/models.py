"""Import every feature's models so the metadata (create_all, Alembic) sees all tables."""

from ceu.auth.models import User, UserRole  # noqa: F401
