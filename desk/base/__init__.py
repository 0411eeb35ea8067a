"""Foundations with no database: clock, paths, profile lock, phone numbers, quiet hours, events, logs."""
