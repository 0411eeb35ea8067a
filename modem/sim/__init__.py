"""The virtual GSM modem (3GPP TS 27.007 / 27.005 on a real pseudo-terminal), for tests and demo.

``VirtualModem`` runs in this process; ``SimProcess`` runs ``python -m modem.sim``.
"""

from modem.sim.process import SimProcess
from modem.sim.vendors import VENDORS, VendorProfile, get_vendor
from modem.sim.virtual_modem import VirtualModem

__all__ = ["VENDORS", "SimProcess", "VendorProfile", "VirtualModem", "get_vendor"]
