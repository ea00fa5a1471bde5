"""What every command on a case shares: load it, check who asks, decide, save it, once."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Mapper, Transcoder, Transcoding

from complaints.application.intake_records import IntakeRecords
from complaints.application.permissions import authorize, authorize_read
from complaints.application.personal_data import (
    CaseKeyRecords,
    CaseKeys,
    PersonalDataTranscoder,
    RevealingMapper,
)
from complaints.application.principals import Principal
from complaints.application.routing import RoutingTable
from complaints.domain.case import Case, case_id_for
from complaints.domain.errors import DomainError, InvalidValueError
from complaints.domain.values import Role, Stamp
from complaints.timelimits.deadlines import Deadlines
from shared.sealing import KeyRing

REFERENCE_PATTERN = re.compile(r"^HY-(\d{4})-(\d{6,})$")
CLOCK_SKEW = timedelta(minutes=5)
SAVE_ATTEMPTS = 3


class CaseNotFoundError(DomainError):
    code = "not_found"

    def named_as(self, typed: str) -> CaseNotFoundError:
        """The same refusal naming the case as the user typed it: a reference, not the id
        it is turned into. One not about a case that is missing (a moment before it was
        filed) stays as it is."""
        if "case_id" not in self.details:
            return self
        return CaseNotFoundError(f"no case {typed}", case=typed)


class VersionConflictError(DomainError):
    code = "version_conflict"


class StampAsDict(Transcoding):
    type = Stamp
    name = "stamp"

    def encode(self, obj: Stamp) -> dict[str, Any]:
        return {
            "actor_id": obj.actor_id,
            "actor_role": obj.actor_role,
            "occurred_at": obj.occurred_at,
        }

    def decode(self, data: dict[str, Any]) -> Stamp:
        return Stamp(**data)


class CaseApplication(Application):
    """The case store with the rules of access around it; `Complaints` gives the commands."""

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        secret_key: str,
        routing: RoutingTable,
        deadlines: Deadlines | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        key_ring: KeyRing | None = None,
    ) -> None:
        """`key_ring` seals each case's personal data; without one (a measurement's baseline,
        an old store's tests) nothing new is sealed and sealed values read as erased."""
        super().__init__(env=dict(env))
        self.secret_key = secret_key
        self.routing = routing
        self.deadlines = deadlines or Deadlines.load()
        self.clock = clock
        recorder = self.recorder
        if not isinstance(recorder, IntakeRecords):
            raise TypeError(f"{type(recorder).__name__} keeps no intake records")
        self.intake_records: IntakeRecords = recorder
        if not isinstance(recorder, CaseKeyRecords):
            raise TypeError(f"{type(recorder).__name__} keeps no case keys")
        self.case_keys = CaseKeys(key_ring, recorder) if key_ring is not None else None
        if isinstance(self.mapper, RevealingMapper):
            self.mapper.keys = self.case_keys

    def construct_mapper(self) -> Mapper[UUID]:
        transcoder = PersonalDataTranscoder()
        self.register_transcodings(transcoder)
        return self.factory.mapper(transcoder=transcoder, mapper_class=RevealingMapper)

    def register_transcodings(self, transcoder: Transcoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(StampAsDict())

    def _act(
        self,
        principal: Principal,
        case_id: UUID,
        command: str,
        decide: Callable[[Case, Stamp], None],
        *,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
        recorded_with: Mapping[str, Any] | None = None,
        also: Callable[[Case, Stamp], Sequence[Case]] | None = None,
    ) -> Case:
        """Give the catalogue's `command`: load, authorize, `decide` on the case, save;
        `recorded_with` goes to the store with the events (keys it destroys). `also` decides
        what follows on other cases (a linked case's half, a duplicate answered): the cases it
        returns are saved in the same transaction, or none is.

        A caller who named the version they saw gets a conflict when someone saved in between;
        one who did not (a background process, a form without a version) has the command
        decided again on the new state, up to `SAVE_ATTEMPTS` times, since the rules are
        checked afresh each time."""
        for attempt in range(1, SAVE_ATTEMPTS + 1):
            case = self.load_case(case_id)
            authorize(principal, command, case)
            if expected_version is not None and expected_version != case.version:
                raise VersionConflictError(
                    f"the case is at version {case.version}, not {expected_version}",
                    current_version=case.version,
                )
            sealer = self.case_keys.sealer(case.id) if self.case_keys is not None else None
            case.sealer = sealer
            stamp = principal.stamp(self._occurred(principal, occurred_at))
            decide(case, stamp)
            others = also(case, stamp) if also is not None else ()
            options = {**(sealer.save_options() if sealer else {}), **(recorded_with or {})}
            try:
                self.save(case, *others, **options)
            except IntegrityError:
                if expected_version is None and attempt < SAVE_ATTEMPTS:
                    continue
                raise VersionConflictError(
                    "the case was changed by someone else at the same time; reload and retry"
                ) from None
            return case
        raise AssertionError("unreachable")

    # -- reading ---------------------------------------------------------------------------

    def load_case(self, case_id: UUID, version: int | None = None) -> Case:
        case = self._get(case_id, version)
        if case.personal_data_erased is not None and self._forgot_key(case_id):
            case = self._get(case_id, version)
        return case

    def case_events(self, case_id: UUID) -> list[Any]:
        """A case's events, in order, each opened as the case's key now allows."""
        events = list(self.repository.event_store.get(case_id))
        if any(isinstance(event, Case.PersonalDataErased) for event in events) and (
            self._forgot_key(case_id)
        ):
            events = list(self.repository.event_store.get(case_id))
        return events

    def _forgot_key(self, case_id: UUID) -> bool:
        """Forget the key this process keeps of a case found erased; whether it kept one.

        Keys are kept a moment after they are read (`CaseKeys`), and another process may have
        erased the case meanwhile: the erasure, not a key kept from before it, decides, so
        a case read as erased is read again without it.
        """
        return self.case_keys is not None and self.case_keys.forget(case_id)

    def _get(self, case_id: UUID, version: int | None) -> Case:
        try:
            case = self.repository.get(case_id, version=version)
        except AggregateNotFoundError:
            raise CaseNotFoundError(f"no case {case_id}", case_id=str(case_id)) from None
        if not isinstance(case, Case):
            raise CaseNotFoundError(f"no case {case_id}", case_id=str(case_id))
        return case

    def read_case(self, principal: Principal, case_id: UUID) -> Case:
        case = self.load_case(case_id)
        authorize_read(principal, case)
        return case

    def resolve_case_id(self, text: str) -> UUID:
        """A case named by its reference (HY-2026-000123) or its id."""
        if REFERENCE_PATTERN.match(text):
            return case_id_for(text)
        try:
            return UUID(text)
        except ValueError:
            raise CaseNotFoundError(f"no case {text}", case=text) from None

    def _occurred(self, principal: Principal, occurred_at: datetime | None) -> datetime:
        now = self.clock()
        if occurred_at is None:
            return now
        if principal.role is Role.FILER:
            raise InvalidValueError(
                "only staff may record when something happened", field="occurred_at"
            )
        if occurred_at.tzinfo is None:
            raise InvalidValueError("occurred_at needs a time zone", field="occurred_at")
        if occurred_at > now + CLOCK_SKEW:
            raise InvalidValueError("occurred_at is in the future", field="occurred_at")
        return occurred_at.astimezone(UTC)
