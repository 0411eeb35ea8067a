"""Texts in and out: contacts, inbox, outbox, the send queue, delivery reports, rate limits."""
