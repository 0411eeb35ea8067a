"""The virtual Huawei HiLink stick: the XML web API huawei-lte-api talks to, on 127.0.0.1.

``VirtualHiLink`` runs in this process (start() -> url, control(dict), stop());
``run_cli(argv)`` is ``python -m modem.sim --kind hilink`` (JSON lines on stdin/stdout).
"""
