"""Masking of the filer's identity for readers who must not see it whole."""

from __future__ import annotations

from typing import Any

MASK = "*"


def mask_text(text: str, keep_start: int = 1, keep_end: int = 1) -> str:
    if not text:
        return text
    if len(text) <= keep_start + keep_end:
        return text[:1] + MASK * (len(text) - 1)
    hidden = len(text) - keep_start - keep_end
    return text[:keep_start] + MASK * hidden + text[len(text) - keep_end :]


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{mask_text(local)}@{domain}" if domain else mask_text(email)


def mask_filer(filer: dict[str, Any]) -> dict[str, Any]:
    """The filer as a department sees it on a confidential or anonymous case."""
    masked = dict(filer)
    for field, keep in (
        ("enterprise_name", (2, 2)),
        ("credit_code", (2, 2)),
        ("contact_person", (1, 0)),
        ("phone", (3, 4)),
    ):
        if masked.get(field):
            masked[field] = mask_text(masked[field], *keep)
    if masked.get("email"):
        masked["email"] = mask_email(masked["email"])
    masked.pop("webhook_url", None)
    return masked
