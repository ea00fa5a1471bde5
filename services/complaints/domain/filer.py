"""Who filed a case: the enterprise, its contacts, and how it wants to be told of each step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from complaints.domain.values import Language


@dataclass(frozen=True)
class Filer:
    """The filer as given at filing; a detail left out is None, not an empty string.

    Its record (`as_record`) holds only the details given, which is how a `Filed` event
    recorded the filer before this type existed, so old and new histories read alike.
    """

    # Who the filer is and how to reach them: personal. The language and the chosen
    # channels name no one.
    IDENTITY: ClassVar[tuple[str, ...]] = (
        "enterprise_name", "credit_code", "contact_person", "phone", "email", "webhook_url"
    )

    language: str = Language.ZH.value
    enterprise_name: str | None = None
    credit_code: str | None = None
    contact_person: str | None = None
    phone: str | None = None
    email: str | None = None
    notify_by: tuple[str, ...] | None = None
    webhook_url: str | None = None

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Filer:
        known = {field.name for field in fields(cls)}
        values = {name: value for name, value in record.items() if name in known}
        if values.get("notify_by") is not None:
            values["notify_by"] = tuple(values["notify_by"])
        return cls(**values)

    def as_record(self) -> dict[str, Any]:
        record = {
            field.name: getattr(self, field.name)
            for field in fields(self)
            if getattr(self, field.name) is not None
        }
        if "notify_by" in record:
            record["notify_by"] = list(record["notify_by"])
        return record
