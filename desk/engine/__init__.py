"""The Engine: one core thread that writes, the modem side, the operations the window calls."""
