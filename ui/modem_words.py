"""The words of the modem settings: the kinds of modem, what each is and cannot do, the labels
of their fields and secrets (shared by Settings › Modem and the first-run wizard)."""

from __future__ import annotations

from desk.base import secrets

KINDS = {"at": "USB modem", "hilink": "HiLink stick", "android": "Android phone"}
ABOUT = {
    "at": "A USB modem or stick that takes AT commands (Huawei, ZTE, Quectel, SIMCom, Sierra, "
    "Telit…), or a modem on the network shared with ser2net.",
    "hilink": "A Huawei stick that has only a web page (E3372h, E8372h…): the computer sees it "
    "as a network card, usually at http://192.168.8.1.",
    "android": "A spare Android phone with the shop's SIM, running the SMS Gateway for Android "
    "app in local-server mode, on the shop's Wi-Fi.",
}
LIMITS = {
    "at": "",
    "hilink": "This device does not report phone calls, so a missed call cannot become a "
    "text back. Balance codes (USSD) work only where the stick's firmware has them.",
    "android": "This device does not report phone calls or balance codes (USSD): ask the "
    "balance on the phone. A SIM PIN is typed on the phone itself. Keep the phone charging, "
    "on the shop's Wi-Fi, with battery optimisation off for the gateway app.",
}
SECRETS = {
    "at": (secrets.SIM_PIN,),
    "hilink": (secrets.HILINK_PASSWORD,),
    "android": (secrets.ANDROID_PASSWORD, secrets.ANDROID_SIGNING_KEY),
}
SECRET_LABELS = {
    secrets.SIM_PIN: "SIM PIN",
    secrets.HILINK_PASSWORD: "Stick's password",
    secrets.ANDROID_PASSWORD: "App's password",
    secrets.ANDROID_SIGNING_KEY: "Signing key",
}
LABELS = {
    "modem_kind": "Kind of modem",
    "modem_port": "Port or address",
    "hilink_url": "Stick's address",
    "android_url": "Phone's address",
    "android_username": "App's user name",
    "android_listen_host": "This computer's address",
    "android_listen_port": "Port for the phone's texts",
    "ussd_balance": "Balance code",
}
KEYS = tuple(LABELS)
STORED = "Saved (type a new one to change it)"
PLACEHOLDER_URL = {"hilink": "http://192.168.8.1", "android": "http://192.168.1.50:8080"}
ERROR_STYLE = "color: #d93025;"
OK_STYLE = "color: #188038;"
