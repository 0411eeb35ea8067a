"""SMS encodings: PDU (3GPP TS 23.040), GSM 7-bit and UCS-2 (23.038), addresses."""
