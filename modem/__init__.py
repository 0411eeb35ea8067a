"""The hardware layer: PDU codec, AT transport, the modem service and the virtual modem.

No Qt and no database here. One thread owns the serial port; callers talk to it through a
queue and get plain-Python events (``modem.events``) back.
"""
