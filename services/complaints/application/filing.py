"""Filing a case: the command, its idempotency, the one-time reply, and signing in with it.

`FileCase` is what the JSON API's body and the filing pages' forms both become. A retried
submission with the same Idempotency-Key files one case: the key's claim is written in the
same transaction as the case's first event, and a replay answers the same reference and code.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from complaints.application.access_codes import (
    access_code_matches,
    derive_access_code,
    hash_access_code,
)
from complaints.application.case_application import (
    REFERENCE_PATTERN,
    CaseApplication,
    CaseNotFoundError,
)
from complaints.application.group_commit import GroupCommit
from complaints.application.intake_records import IdempotencyClaim
from complaints.application.principals import (
    AuthenticationError,
    PermissionDeniedError,
    Principal,
)
from complaints.domain.case import Case, case_id_for
from complaints.domain.chain import canonical
from complaints.domain.credit_code import credit_code_problem
from complaints.domain.errors import DomainError, InvalidValueError
from complaints.domain.filer import Filer
from complaints.domain.values import STAFF_CHANNELS, Channel, Role, Stage, Stamp
from shared.locale import CITY_TIME
from shared.sealing import WrappedKey
from shared.webhooks import webhook_secret


class IdempotencyKeyReusedError(DomainError):
    code = "idempotency_key_reused"


@dataclass(frozen=True)
class FileCase:
    """A complaint as its filer gives it, or as staff take it down for a caller.

    `occurred_at` is for staff only: when the call or visit took place, if not just now.
    """

    channel: str
    category: str
    subject: str
    description: str
    filer: Filer
    happened_on: str | None = None  # an ISO date
    happened_at_place: str = ""
    attachments: tuple[str, ...] = ()
    confidential: bool = False
    anonymous: bool = False
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class Filing:
    """What the filer is told once: the reference and the access code."""

    case_id: UUID
    reference: str
    access_code: str
    replayed: bool
    webhook_secret: str | None = None


@dataclass(frozen=True)
class _Pending:
    """A checked filing waiting for its reference number and its save."""

    principal: Principal
    command: FileCase
    digest: str
    scoped_key: str | None
    stamp: Stamp


@dataclass(frozen=True)
class _Built:
    """A filed case, its events collected, with what the store writes beside them."""

    pending: _Pending
    case: Case
    events: tuple[Any, ...]
    claim: IdempotencyClaim | None
    data_key: WrappedKey | None


class FilingDesk(CaseApplication):
    def __init__(self, *args: Any, group_commit: bool = True, **kwargs: Any) -> None:
        """With `group_commit`, filings that arrive while another is being saved are saved
        together, in one transaction (see `group_commit`); without, each alone."""
        super().__init__(*args, **kwargs)
        self._filings: GroupCommit[_Pending, Filing] | None = (
            GroupCommit(self._file_together) if group_commit else None
        )

    def file_case(
        self, principal: Principal, command: FileCase, *, idempotency_key: str | None = None
    ) -> Filing:
        checked = self._checked(principal, command, idempotency_key)
        if isinstance(checked, Filing):
            return checked
        if self._filings is None:
            return self._file_alone(checked)
        return self._filings.submit(checked)

    def _checked(
        self, principal: Principal, command: FileCase, idempotency_key: str | None
    ) -> _Pending | Filing:
        """The filing, checked and stamped, ready to save; or the replay of its key's."""
        self._check_filing(principal, command)
        digest = _digest(self.secret_key, command)
        scoped_key = f"{principal.actor_id}:{idempotency_key}" if idempotency_key else None
        if scoped_key:
            claim = self.intake_records.find_idempotency_claim(scoped_key)
            if claim is not None:
                return self._replay(claim, digest)
        stamp = principal.stamp(self._occurred(principal, command.occurred_at))
        return _Pending(principal, command, digest, scoped_key, stamp)

    def _file_alone(self, pending: _Pending) -> Filing:
        year = _year(pending)
        built = self._build(pending, self.intake_records.next_reference_number(year), year)
        return self._save_alone(built)

    def _file_together(self, batch: Sequence[_Pending]) -> list[Filing | Exception]:
        """One reservation of reference numbers per year and one save for the whole batch.
        If that save fails, each case is saved alone, so only the bad one fails: another
        process's claim of the same key answers a replay, as it does alone."""
        if len(batch) == 1:
            return [_outcome(self._file_alone, batch[0])]
        outcomes: dict[int, Filing | Exception] = {}
        # The same key twice in a batch: the later ones are filed after, and so replay.
        first: dict[str, int] = {}
        later = [
            index
            for index, pending in enumerate(batch)
            if pending.scoped_key and first.setdefault(pending.scoped_key, index) != index
        ]
        together = [index for index in range(len(batch)) if index not in later]
        built: dict[int, _Built] = {}
        for year in sorted({_year(batch[index]) for index in together}):
            of_year = [index for index in together if _year(batch[index]) == year]
            numbers = self.intake_records.reserve_reference_numbers(year, len(of_year))
            for index, number in zip(of_year, numbers, strict=True):
                try:
                    built[index] = self._build(batch[index], number, year)
                except Exception as error:  # this filing's own fault, told to it alone
                    outcomes[index] = error
        try:
            if built:
                # What `save` does with the events, in the store's fastest way for many cases.
                self.intake_records.insert_new_cases(
                    [self.mapper.to_stored_event(event)
                     for one in built.values() for event in one.events],
                    [one.claim for one in built.values() if one.claim is not None],
                    [one.data_key for one in built.values() if one.data_key is not None],
                )
        except Exception:
            for index, one in built.items():
                outcomes[index] = _outcome(self._save_alone, one)
        else:
            for index, one in built.items():
                outcomes[index] = self._filing(one.case, replayed=False)
        for index in later:
            outcomes[index] = _outcome(self._file_again, batch[index])
        return [outcomes[index] for index in range(len(batch))]

    def _file_again(self, pending: _Pending) -> Filing:
        """A filing whose key an earlier one in its batch used: a replay of that one, if
        it was saved."""
        claim = self.intake_records.find_idempotency_claim(pending.scoped_key or "")
        return self._replay(claim, pending.digest) if claim else self._file_alone(pending)

    def _build(self, pending: _Pending, number: int, year: int) -> _Built:
        command, stamp = pending.command, pending.stamp
        reference = f"HY-{year}-{number:06d}"
        case_id = case_id_for(reference)
        sealer = self.case_keys.sealer(case_id, new_case=True) if self.case_keys else None
        case = Case.file(
            stamp,
            reference,
            command.filer,
            self.deadlines.start(Stage.ACCEPT, command.category, stamp.occurred_at),
            sealer,
            channel=command.channel,
            on_behalf_of=pending.principal.role is not Role.FILER,
            category=command.category,
            subject=command.subject,
            description=command.description,
            happened_on=command.happened_on,
            happened_at_place=command.happened_at_place,
            attachments=list(command.attachments),
            confidential=command.confidential,
            anonymous=command.anonymous,
            access_code_hash=hash_access_code(derive_access_code(self.secret_key, case_id)),
            submission_digest=pending.digest,
        )
        claim = (
            IdempotencyClaim(pending.scoped_key, case_id, pending.digest)
            if pending.scoped_key
            else None
        )
        # Collected now, so that a batch that fails can save them again, alone.
        events = tuple(case.collect_events())
        return _Built(pending, case, events, claim, sealer.created if sealer else None)

    def _save_alone(self, built: _Built) -> Filing:
        options: dict[str, Any] = {"idempotency": built.claim}
        if built.data_key is not None:
            options["data_keys"] = [built.data_key]
        try:
            self.save(*built.events, **options)
        except IntegrityError:
            key = built.pending.scoped_key
            existing = self.intake_records.find_idempotency_claim(key) if key else None
            if existing is None:
                raise
            return self._replay(existing, built.pending.digest)
        return self._filing(built.case, replayed=False)

    def authenticate_filer(self, reference: str, access_code: str) -> Principal:
        refused = AuthenticationError("the reference or the access code is wrong")
        if not REFERENCE_PATTERN.match(reference):
            raise refused
        try:
            case = self.load_case(case_id_for(reference))
        except CaseNotFoundError:
            raise refused from None
        if not access_code_matches(access_code, case.access_code_hash):
            raise refused
        return Principal(actor_id=f"filer:{reference}", role=Role.FILER, case_id=case.id)

    def _check_filing(self, principal: Principal, command: FileCase) -> None:
        if principal.role not in (Role.FILER, Role.INTAKE, Role.SUPERVISOR):
            raise PermissionDeniedError(
                f"the {principal.role.value} role may not file a case",
                allowed_roles=["filer", "intake", "supervisor"],
            )
        channel = Channel(command.channel)
        staff_channel = channel in STAFF_CHANNELS
        if staff_channel != (principal.role is not Role.FILER):
            raise InvalidValueError(
                f"channel {channel.value} is for "
                + ("staff filing for a caller" if staff_channel else "the filer's own filing"),
                field="channel",
            )
        self.routing.propose(command.category)
        if wrong := command.filer.problem():
            name, reason = wrong
            raise InvalidValueError(reason, field=f"filer.{name}")
        code = command.filer.credit_code
        if code and (problem := credit_code_problem(code)):
            raise InvalidValueError(f"credit code {problem}", field="filer.credit_code")

    def _replay(self, claim: IdempotencyClaim, digest: str) -> Filing:
        if claim.digest != digest:
            raise IdempotencyKeyReusedError(
                "this Idempotency-Key was used for a different submission"
            )
        return self._filing(self.load_case(claim.case_id), replayed=True)

    def _filing(self, case: Case, *, replayed: bool) -> Filing:
        """What the filer is told at filing; both secrets are derived, never stored."""
        signing = None
        if case.filer.webhook_url:
            signing = webhook_secret(self.secret_key, case.id)
        code = derive_access_code(self.secret_key, case.id)
        return Filing(case.id, case.reference, code, replayed, signing)


def _year(pending: _Pending) -> int:
    return pending.stamp.occurred_at.astimezone(CITY_TIME).year


def _outcome(file: Callable[[Any], Filing], argument: Any) -> Filing | Exception:
    try:
        return file(argument)
    except Exception as error:  # told to the filing it belongs to, raised in its thread
        return error


def _digest(secret_key: str, command: FileCase) -> str:
    """What tells a retried submission from another: keyed, since the submission is personal
    and the digest stays in `Filed` after the case's key is destroyed."""
    encoded = json.dumps(canonical(command), sort_keys=True, ensure_ascii=False)
    return hmac.new(secret_key.encode(), encoded.encode(), hashlib.sha256).hexdigest()
