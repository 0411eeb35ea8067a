"""The TextDesk core: storage, inbox, outbox, consent, privacy, reminders and the engine. No Qt."""
