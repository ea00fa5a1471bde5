"""The credit codes of a page of rows, opened at the edge with each case's key."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from complaints.application.personal_data import CaseKeys
from shared.sealing import DataKey, SealingError

SEALED_COLUMN = "credit_code_sealed"


def with_credit_codes(
    keys: CaseKeys | None, items: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each row with `credit_code` read from its sealed token (None where there is none or
    the case's key is gone), and without the token; one key look-up for the whole page."""
    sealed = {UUID(item["case_id"]): item.get(SEALED_COLUMN) for item in items}
    wanted = [case_id for case_id, token in sealed.items() if token]
    found = keys.data_keys(wanted) if keys is not None and wanted else {}
    rows = []
    for item in items:
        case_id = UUID(item["case_id"])
        row = {name: value for name, value in item.items() if name != SEALED_COLUMN}
        row["credit_code"] = _opened(found.get(case_id), sealed[case_id])
        rows.append(row)
    return rows


def _opened(key: DataKey | None, token: str | None) -> str | None:
    if key is None or not token:
        return None
    try:
        return key.open(token)
    except SealingError:
        return None
