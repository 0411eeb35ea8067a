"""The virtual GSM modem (3GPP TS 27.007 / 27.005), for tests and the demo: on a real
pseudo-terminal, or on TCP (raw ``socket://`` or RFC 2217) where there is none or a network
modem is being imitated. Vendor profiles give it the quirks and terse answers of real devices.

``VirtualModem`` runs in this process; ``SimProcess`` runs ``python -m modem.sim``.
"""

from modem.sim.process import SimProcess
from modem.sim.vendors import VENDORS, VendorProfile, get_vendor
from modem.sim.virtual_modem import VirtualModem

__all__ = ["VENDORS", "SimProcess", "VendorProfile", "VirtualModem", "get_vendor"]
