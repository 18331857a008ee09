"""Tortoise ORM models, one module per area; migrations live in ``models/migrations``."""
