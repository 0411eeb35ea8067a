"""Storage: the database, its models and frozen migrations, settings, the audit log."""
