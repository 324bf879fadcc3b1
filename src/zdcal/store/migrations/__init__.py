"""Alembic migrations of zdcal's schema (a package so that installs ship them)."""
