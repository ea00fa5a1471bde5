"""What is personal in a case, and how a personal value reads, is stored and is hashed.

Personal: who the filer is and how to reach them (`Filer.IDENTITY`), everything the filer
wrote, the attachments' names (their contents are sealed by the attachment store), and the
messages sent to the filer. Staff replies and notes are not the filer's data.
`PERSONAL` names, per event, the fields that hold it; the aggregate seals those fields
before an event is recorded, so the store, the chain's hashes and the stream see only sealed
tokens, and a case whose key was destroyed keeps every event and every hash.

A sealed value in memory is a `SealedText`: it reads as its text wherever a string is
expected, and carries the token it is stored and hashed as. A value whose key is gone is an
`ErasedText`: empty, erased, and still carrying its token, so the chain still verifies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from complaints.domain.filer import Filer

FILER = "filer"
# Event → its fields that hold personal data; `filer` is the filer record, of which the
# details in `Filer.IDENTITY` are personal (its language and chosen channels are not).
PERSONAL: Mapping[str, tuple[str, ...]] = {
    "Filed": (FILER, "subject", "description", "happened_at_place", "attachments"),
    "InformationSupplied": ("content", "attachments"),
    "Rated": ("comment",),
    "Reopened": ("reason",),
    "FilerNotified": ("text",),  # what the filer was told names them
}


class SealedText(str):
    """A personal value: its text, and the sealed token that is stored and hashed."""

    erased = False

    def __new__(cls, text: str, token: str) -> SealedText:
        value = super().__new__(cls, text)
        value.token = token
        return value

    def __getnewargs__(self) -> tuple[str, str]:  # copy and pickle keep the token
        return (str(self), self.token)


class ErasedText(SealedText):
    """A personal value whose case key was destroyed: reads as nothing, hashes as stored."""

    erased = True

    def __new__(cls, token: str) -> ErasedText:
        return super().__new__(cls, "", token)  # type: ignore[return-value]

    def __getnewargs__(self) -> tuple[str]:  # type: ignore[override]
        return (self.token,)


class Sealer(Protocol):
    """Seals one case's personal values (a data key, in the application)."""

    def seal(self, text: str) -> str:
        """The sealed token of `text`."""
        ...


def seal_fields(sealer: Sealer, event_name: str, fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` of the event `event_name` with each personal value sealed by `sealer`."""
    personal = PERSONAL.get(event_name)
    if not personal:
        return fields
    sealed = dict(fields)
    for name in personal:
        if name not in sealed:
            continue
        value = sealed[name]
        if name == FILER:
            sealed[name] = {
                key: _sealed(sealer, item) if key in Filer.IDENTITY else item
                for key, item in value.items()
            }
        else:
            sealed[name] = _sealed(sealer, value)
    return sealed


def _sealed(sealer: Sealer, value: Any) -> Any:
    if isinstance(value, SealedText) or not value:
        return value  # sealed already, or nothing to seal
    if isinstance(value, str):
        return SealedText(value, sealer.seal(value))
    if isinstance(value, list | tuple):
        return [_sealed(sealer, item) for item in value]
    return value


def stored_form(value: Any) -> Any:
    """A value as the store keeps it: a sealed value's token, anything else as it is."""
    return value.token if isinstance(value, SealedText) else value
