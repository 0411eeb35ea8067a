"""What ``textdesk --self-test`` says for each check (ui/selftest.py), from source and from the
built bundle alike: one line per safety feature exercised."""

SAFETY_LINES = (
    "safety modules present",
    "reply shown delivered",
    "privacy warning shown for a card number; nothing sent",
    "incoming card number flagged sensitive",
    "STOP recorded as an opt-out and the confirmation sent",
    "reminder materialised by the scheduler and sent",
    "retention deleted the message older than",
    "passed in",
)
