"""Recognising short commands typed by villagers and advisers, whatever width or spacing they use."""

from __future__ import annotations

import re
import unicodedata

_TRIM = re.compile(r"^[\s，。！？!?,.、~～]+|[\s，。！？!?,.、~～]+$")
HUMAN_WORDS = ("人工服务", "转人工", "人工客服", "人工", "找律师", "找顾问", "我要找律师", "问律师", "律师")


def normalize(text: str) -> str:
    return _TRIM.sub("", unicodedata.normalize("NFKC", text or ""))


def human_request(text: str) -> tuple[bool, str]:
    """("人工"/"找律师" asked?, the rest of the message as the question)."""
    plain = normalize(text)
    for word in HUMAN_WORDS:
        if plain == word:
            return True, ""
        if word != "律师" and plain.startswith(word):
            return True, normalize(plain[len(word) :])
    return False, ""
