"""Filing a case: the command, its idempotency, the one-time reply, and signing in with it.

`FileCase` is what the JSON API's body and the filing pages' forms both become. A retried
submission with the same Idempotency-Key files one case: the key's claim is written in the
same transaction as the case's first event, and a replay answers the same reference and code.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
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
from complaints.domain.values import STAFF_CHANNELS, Channel, Role, Stage
from shared.locale import CITY_TIME
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


class FilingDesk(CaseApplication):
    def file_case(
        self, principal: Principal, command: FileCase, *, idempotency_key: str | None = None
    ) -> Filing:
        self._check_filing(principal, command)
        digest = _digest(command)
        scoped_key = f"{principal.actor_id}:{idempotency_key}" if idempotency_key else None
        if scoped_key:
            claim = self.intake_records.find_idempotency_claim(scoped_key)
            if claim is not None:
                return self._replay(claim, digest)
        stamp = principal.stamp(self._occurred(principal, command.occurred_at))
        year = stamp.occurred_at.astimezone(CITY_TIME).year
        reference = f"HY-{year}-{self.intake_records.next_reference_number(year):06d}"
        case_id = case_id_for(reference)
        case = Case.file(
            stamp,
            reference,
            command.filer,
            self.deadlines.start(Stage.ACCEPT, command.category, stamp.occurred_at),
            channel=command.channel,
            on_behalf_of=principal.role is not Role.FILER,
            category=command.category,
            subject=command.subject,
            description=command.description,
            happened_on=command.happened_on,
            happened_at_place=command.happened_at_place,
            attachments=list(command.attachments),
            confidential=command.confidential,
            anonymous=command.anonymous,
            access_code_hash=hash_access_code(derive_access_code(self.secret_key, case_id)),
            submission_digest=digest,
        )
        claim = IdempotencyClaim(scoped_key, case_id, digest) if scoped_key else None
        try:
            self.save(case, idempotency=claim)
        except IntegrityError:
            existing = (
                self.intake_records.find_idempotency_claim(scoped_key) if scoped_key else None
            )
            if existing is None:
                raise
            return self._replay(existing, digest)
        return self._filing(case, replayed=False)

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


def _digest(command: FileCase) -> str:
    encoded = json.dumps(canonical(command), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()
