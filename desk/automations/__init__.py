"""Automations: what TextDesk answers by itself (keyword answers, away replies, missed-call texts).

Above compliance and reminders in the core's layers (they decide what is reserved: STOP, HELP,
appointment answers), below the engine, which hands the rules to the inbox.
"""
