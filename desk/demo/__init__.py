"""The demo shop: sample customers and a virtual modem that answers."""
