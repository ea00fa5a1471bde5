"""Who filed a case: an enterprise or a person, how to reach them, and how they want to be
told of each step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from complaints.domain.values import FilerKind, Language


@dataclass(frozen=True)
class Filer:
    """The filer as given at filing; a detail left out is None, not an empty string.

    An enterprise files by its name (and credit code, contact person); an individual by their
    own name, and, for a case brought from another system, the user id that system knew them
    by. A record without a kind was filed before individuals could file: an enterprise.

    Its record (`as_record`) holds only the details given, which is how a `Filed` event
    recorded the filer before this type existed, so old and new histories read alike.
    """

    # Who the filer is and how to reach them: personal. The kind, the language and the
    # chosen channels name no one.
    IDENTITY: ClassVar[tuple[str, ...]] = (
        "enterprise_name", "credit_code", "contact_person", "person_name", "external_user_id",
        "phone", "email", "webhook_url",
    )
    # What only an enterprise has, and what only a person has.
    ENTERPRISE_ONLY: ClassVar[tuple[str, ...]] = (
        "enterprise_name", "credit_code", "contact_person")
    INDIVIDUAL_ONLY: ClassVar[tuple[str, ...]] = ("person_name", "external_user_id")

    language: str = Language.ZH.value
    kind: str | None = None  # None: an enterprise, as every filer was before there were kinds
    enterprise_name: str | None = None
    credit_code: str | None = None
    contact_person: str | None = None
    person_name: str | None = None
    external_user_id: str | None = None
    phone: str | None = None
    email: str | None = None
    notify_by: tuple[str, ...] | None = None
    webhook_url: str | None = None

    @property
    def individual(self) -> bool:
        return self.kind == FilerKind.INDIVIDUAL

    @property
    def name(self) -> str | None:
        """Who the filer is, in a word: the enterprise's name or the person's."""
        return self.person_name if self.individual else self.enterprise_name

    def problem(self) -> tuple[str, str] | None:
        """(field, reason) of the first detail that the filer's kind cannot have; None if
        every detail fits."""
        if self.kind is not None and self.kind not in tuple(FilerKind):
            return "kind", f"not a kind of filer: {self.kind}"
        wrong = self.ENTERPRISE_ONLY if self.individual else self.INDIVIDUAL_ONLY
        for name in wrong:
            if getattr(self, name):
                kind = FilerKind.INDIVIDUAL if self.individual else FilerKind.ENTERPRISE
                return name, f"an {kind.value} filer has no {name}"
        return None

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
