"""An Android phone running the open-source "SMS Gateway for Android" app in local-server mode:
modem.android.link.AndroidLink is a modem.link.ModemLink; modem.android.webhooks is its listener."""
