"""Read-only queries for the window and the command line: lists, threads, search."""
