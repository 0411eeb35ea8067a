"""Huawei HiLink sticks (E3372h, E8372h and relatives with only a web interface), through the
``huawei-lte-api`` library: modem.hilink.link.HiLinkLink is a modem.link.ModemLink."""
