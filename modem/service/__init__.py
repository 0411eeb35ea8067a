"""ModemService: the one thread that owns an AT modem, and its parts."""
