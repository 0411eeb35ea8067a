"""Scheduled sending: reminders, recurrence, the scheduler, appointments and their CSV import."""
