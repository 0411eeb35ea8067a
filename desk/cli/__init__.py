"""The `textdesk` command line."""
