"""The demo shop's sample data: a dental practice, its templates and 25 customers with their
threads (every state the window must show: unread, callback, opted out, masked, failed, uncertain,
incomplete). Numbers are in the fictional 555-01xx range."""

from __future__ import annotations

OUT = "out"
REMINDER_PREFIX = "<reminder "


def reminder_marker(offset_minutes: int) -> str:
    """Stands in a thread for the appointment reminder sent ``offset_minutes`` before the start."""
    return f"{REMINDER_PREFIX}{offset_minutes}>"


SHOP = "Smile Dental"
SIGNATURE = "- Anna at Smile Dental"

TEMPLATES = {
    "hours": "Hi {first_name}, we are open Mon-Fri 8-18 and Sat 9-13. {signature}",
    "ready": "Hi {first_name}, your {item} is ready to pick up at {shop}. {signature}",
    "recall": "Hi {first_name}, it's time for your six-month check-up at {shop}. "
    "Reply with a day that suits you. {signature}",
    "confirm": "Thanks {first_name}, you're booked in. See you then! {signature}",
    "callback": "Hi {first_name}, we tried to call you back. When is a good time? {signature}",
}

# (name, number, tags, notes, minutes-ago of the last message, thread). Thread items:
# ("in"|"out", text, minutes before the last message, state or None).
Thread = list[tuple[str, str, int, str | None]]
CUSTOMERS: list[tuple[str | None, str, str, str, int, Thread]] = [
    (
        "Maria Lopez",
        "+12025550101",
        "patient,cleaning",
        "Prefers mornings.",
        3,
        [
            (OUT, reminder_marker(2880), 2880 - 7, "delivered"),
            ("in", "C", 2865, None),
            ("out", "Thanks Maria, see you then! - Anna", 2860, "delivered"),
            ("in", "Running 10 min late, so sorry! Parking is full 😬", 0, None),
        ],
    ),
    (
        "James O'Connor",
        "+12025550102",
        "patient",
        "",
        12,
        [
            ("in", "Hi, is Dr. Patel in on Saturday?", 20, None),
            (
                "out",
                "Hi James, Dr. Patel works Saturdays 9–13. Shall I book you in?",
                15,
                "delivered",
            ),
            ("in", "Yes please, 10am if possible", 0, None),
        ],
    ),
    (
        "Priya Shah",
        "+12025550103",
        "patient,ortho",
        "Invisalign, week 12.",
        25,
        [
            ("in", "My aligner cracked, can I come in today?", 0, None),
        ],
    ),
    (
        "Tom Becker",
        "+12025550104",
        "patient",
        "Asked to be called back about the invoice.",
        48,
        [
            ("in", "Can someone call me back about my bill? After 4pm is best", 0, None),
        ],
    ),
    (
        "Chloé Dubois",
        "+12025550105",
        "patient",
        "",
        75,
        [
            (
                "out",
                "Hi Chloé, your crown has arrived from the lab. Can you come in Thursday?",
                60,
                "delivered",
            ),
            ("in", "Jeudi c'est parfait, merci ! À 14h ?", 0, None),
        ],
    ),
    (
        "Ahmed Karimi",
        "+12025550106",
        "patient",
        "",
        95,
        [
            (
                "out",
                "Hi Ahmed, your son's x-rays are ready – all looks good!",
                60 * 24 * 3,
                "delivered",
            ),
            ("in", "Great news, thank you!", 60 * 24 * 3 - 30, None),
            ("out", "You're welcome. Say hi to Sami from us.", 60 * 24 * 3 - 35, "sent"),
            ("in", "Hello, I'd like to book a check-up for my son (7)", 30, None),
            (
                "out",
                "Hi Ahmed, happy to. We have Tuesday 15:30 or Wednesday 16:00 free – which suits "
                "you better? Please bring his insurance card. - Anna at Smile Dental",
                0,
                "uncertain",
            ),
        ],
    ),
    (
        "Sofia Rossi",
        "+12025550107",
        "patient",
        "",
        130,
        [
            ("in", "Do you take walk-ins for a chipped tooth?", 10, None),
            ("out", "Hi Sofia, yes – come by before 5pm and we'll fit you in.", 0, "failed"),
        ],
    ),
    (
        "Greg Wilson",
        "+12025550108",
        "patient",
        "Opted out by text.",
        200,
        [
            (
                "out",
                "Hi Greg, it's time for your six-month check-up at Smile Dental.",
                30,
                "delivered",
            ),
            ("in", "STOP", 20, None),
            (
                "out",
                "You will get no more texts from Smile Dental. Reply START to opt back in.",
                19,
                "delivered",
            ),
        ],
    ),
    (
        "Hannah Kim",
        "+12025550109",
        "patient",
        "",
        260,
        [
            ("in", "Thanks for fitting me in today, tooth feels great!", 5, None),
            ("out", "So glad to hear it, Hannah! - Anna", 0, "delivered"),
        ],
    ),
    (
        "Lukas Novak",
        "+12025550110",
        "patient",
        "",
        320,
        [
            ("in", "Here is my insurance card: 4111 1111 1111 1111 exp 04/28", 2, None),
            (
                "out",
                "Thanks Lukas – please don't send card numbers by text, we'll take it at the desk.",
                0,
                "delivered",
            ),
        ],
    ),
    (
        None,
        "+12025550111",
        "",
        "",
        400,
        [
            (
                "in",
                "Hi, do you do teeth whitening and how much is it? I saw your sign on Main Street and wondered whether you have any offers this month, as my wedding is in June and I would like to",
                0,
                "incomplete",
            ),
        ],
    ),
    (
        "Olivia Brown",
        "+12025550112",
        "patient,cleaning",
        "",
        60 * 8,
        [
            (OUT, reminder_marker(2880), 40, "delivered"),
            ("in", "R", 2, None),
            ("in", "Can we do next week instead? Any morning works.", 0, None),
        ],
    ),
    (
        "Daniel Meyer",
        "+12025550113",
        "patient",
        "",
        60 * 20,
        [
            ("in", "Is the parking behind the building free for patients?", 10, None),
            (
                "out",
                "Yes, the first two hours are free – just tell reception your plate.",
                0,
                "delivered",
            ),
        ],
    ),
    (
        "Grace Taylor",
        "+12025550114",
        "patient",
        "Nervous patient – be gentle.",
        60 * 26,
        [
            ("in", "I'm a bit nervous about the extraction on {day}", 20, None),
            (
                "out",
                "That's completely normal, Grace. Dr. Patel will talk you through everything first.",
                10,
                "delivered",
            ),
            ("in", "Thank you, that helps a lot!", 0, None),
        ],
    ),
    (
        "Noah Garcia",
        "+12025550115",
        "patient",
        "",
        60 * 30,
        [
            (OUT, reminder_marker(2880), 2880 - 120, "delivered"),
            (OUT, reminder_marker(120), 0, "sent"),
        ],
    ),
    (
        "Emma Johansson",
        "+12025550116",
        "patient,ortho",
        "",
        60 * 49,
        [
            ("in", "Can I get a copy of my x-rays emailed?", 30, None),
            ("out", "Of course Emma, what email address should we use?", 20, "delivered"),
            ("in", "emma.j@example.com thanks", 0, None),
        ],
    ),
    (
        "Liam Murphy",
        "+12025550117",
        "patient",
        "",
        60 * 52,
        [
            ("in", "What time do you close on Fridays?", 5, None),
            (
                "out",
                "Hi Liam, we are open Mon-Fri 8-18 and Sat 9-13. - Anna at Smile Dental",
                0,
                "delivered",
            ),
        ],
    ),
    (
        "Yuki Tanaka",
        "+12025550118",
        "patient",
        "",
        60 * 70,
        [
            ("in", "Is my night guard ready?", 60, None),
            (
                "out",
                "Hi Yuki, your night guard is ready to pick up at Smile Dental.",
                0,
                "delivered",
            ),
        ],
    ),
    (
        "Ben Carter",
        "+12025550119",
        "patient",
        "",
        60 * 75,
        [
            ("in", "Need to cancel {day}, sorry – work trip", 0, None),
        ],
    ),
    (
        "Isabella Silva",
        "+12025550120",
        "patient,cleaning",
        "",
        60 * 96,
        [
            (
                "out",
                "Hi Isabella, it's time for your six-month check-up. Reply with a day that suits you.",
                120,
                "delivered",
            ),
            ("in", "{day} morning?", 100, None),
            ("out", "{when} is yours. See you then!", 0, "delivered"),
        ],
    ),
    (
        "Ethan Wright",
        "+12025550121",
        "",
        "",
        60 * 120,
        [
            ("in", "Do you accept Delta Dental insurance?", 10, None),
            ("out", "Yes, we do. Bring your card to your first visit.", 0, "delivered"),
        ],
    ),
    (
        "Mia Fischer",
        "+12025550122",
        "patient",
        "",
        60 * 150,
        [
            (OUT, reminder_marker(2880), 30, "delivered"),
            ("in", "C", 28, None),
            ("in", "Thank you for the reminder, see you then!", 0, None),
        ],
    ),
    (
        "Oscar Hughes",
        "+12025550123",
        "patient",
        "",
        60 * 200,
        [
            ("out", "Hi Oscar, your new bridge is ready. When can you come in?", 30, "delivered"),
            ("in", "Next Wednesday after work", 0, None),
        ],
    ),
    (
        "Ava Petrova",
        "+12025550124",
        "patient",
        "",
        60 * 300,
        [
            ("in", "Is there a dentist on call on Sunday? Wisdom tooth pain", 20, None),
            (
                "out",
                "Sorry to hear it, Ava. For Sunday emergencies call (202) 555-0199.",
                0,
                "delivered",
            ),
        ],
    ),
    (
        "Leo Martin",
        "+12025550125",
        "patient",
        "",
        60 * 400,
        [
            ("in", "Got it, thanks!", 0, None),
        ],
    ),
]

# Customers with an appointment: (service, minutes from their last message to its start). A
# reminder_marker(offset) in their thread is the reminder sent ``offset`` minutes before the start
# (so its minutes before the last message are offset - start-to-last); a C or R after it is the
# answer (confirmed / wants to move it); reminders due by now and not in the thread were skipped
# because the appointment was confirmed.
APPOINTMENTS: dict[str, tuple[str, int]] = {
    "Maria Lopez": ("cleaning", 7),  # starts about now: she is running late
    "Olivia Brown": ("cleaning", 2880 - 40),  # in about a day and a half: she wants to move it
    "Noah Garcia": ("check-up", 120),  # passed, no answer to either reminder
    "Mia Fischer": ("check-up", 2880 - 30),  # passed, confirmed
}

# Customers booked days ahead: (service, days after today, time on the shop's clock). Their
# reminders are all still to come; {day} and {when} in their threads name the appointment.
BOOKED: dict[str, tuple[str, int, str]] = {
    "Grace Taylor": ("extraction", 5, "11:00"),  # she is nervous about it
    "Ben Carter": ("check-up", 3, "10:30"),  # he wants to cancel: for staff to handle
    "Isabella Silva": ("check-up", 4, "09:00"),  # booked by staff after her recall
}

UNREAD = {"Maria Lopez", "James O'Connor", "Priya Shah", "Tom Becker", "Chloé Dubois", None}
DONE = {"Hannah Kim", "Daniel Meyer", "Liam Murphy", "Isabella Silva", "Leo Martin", "Mia Fischer"}
CALLBACK = "Tom Becker"
OPTED_OUT = "Greg Wilson"
MASKED = "Lukas Novak"
ERRORS = {
    "failed": "The network refused the number (+CMS ERROR 38: network out of order).",
    "uncertain": "The modem stopped answering while this was being sent: it may or may not "
    "have gone out.",
}
