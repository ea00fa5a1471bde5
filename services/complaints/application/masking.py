"""The filer's identity withheld from readers who must not see it, as values every edge shows.

A partly hidden value still names someone: the domain of `s*******i@example.com` often is the
company, `139****5678` narrows a phone to a few people, `秘密****公司` and `李**` to a few
names. So nothing of it is kept: each detail is left out whole, and a marker says it was
withheld, so that no reader takes an absent detail for one the filer never gave.
"""

from __future__ import annotations

from typing import Any

from complaints.domain.filer import Filer

IDENTITY = Filer.IDENTITY
WITHHELD = "withheld"
# What notify reports when it could not reach the filer: a code, never the address or the
# network's words (earlier receipts carried those; a reader who sees the filer withheld
# gets the code only, or the marker).


def withhold_filer(filer: dict[str, Any]) -> dict[str, Any]:
    """The filer as a department sees it on a confidential or anonymous case."""
    kept = {key: value for key, value in filer.items() if key not in IDENTITY}
    return {**kept, WITHHELD: True}


def row_for_department(row: dict[str, Any]) -> dict[str, Any]:
    """A queue or search row as a department reads it: on a confidential or anonymous case
    the filer's details are None and `filer_withheld` says why."""
    if not (row.get("confidential") or row.get("anonymous")):
        return {**row, "filer_withheld": False}
    return {**row, **dict.fromkeys(key for key in IDENTITY if key in row), "filer_withheld": True}
