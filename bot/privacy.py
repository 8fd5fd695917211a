"""Masking of phone and ID numbers in anything that leaves the private thread (groups, reports)."""

from __future__ import annotations

import re

_ID_CARD = re.compile(r"(?<![0-9])([1-9]\d{5})(\d{8})(\d{3}[0-9Xx])(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])(1[3-9]\d)(\d{4})(\d{4})(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])(0\d{2,3}-?)(\d{3,4})(\d{4})(?![0-9])")


def mask_personal(text: str | None) -> str:
    """18-digit ID numbers and phone numbers keep only their first and last digits."""
    if not text:
        return text or ""
    text = _ID_CARD.sub(lambda m: m.group(1)[:3] + "*" * 11 + m.group(3)[-4:], text)
    text = _MOBILE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
    return _LANDLINE.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + m.group(3), text)
