"""The AT command channel (3GPP TS 27.007/27.005): framing, URCs, error tables."""
