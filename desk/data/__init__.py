"""The shop's data out and back: backups, restore, export."""
