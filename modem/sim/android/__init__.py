"""The virtual "SMS Gateway for Android" phone: the app's local-server REST API and its signed
webhooks, on 127.0.0.1. ``VirtualAndroid`` runs in this process (start() -> url, control(dict),
stop()); ``run_cli(argv)`` is ``python -m modem.sim --kind android``."""
