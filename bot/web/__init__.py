"""Thin Flask views: convert the request, hand it to a channel or use case, convert the answer."""

from __future__ import annotations

from flask import current_app

from bot.services import Services


def services() -> Services:
    return current_app.extensions["legalbot"]
