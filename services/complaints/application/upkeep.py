"""What the service's own processes do to cases: the watchdog's breaches, warnings and
recomputed due times, and the receipts the notify service sends back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from complaints.application.case_application import CaseApplication, VersionConflictError
from complaints.application.principals import SYSTEM, Principal
from complaints.domain.case import Case
from complaints.domain.errors import CaseRuleError
from complaints.domain.values import Stamp
from shared.contract.delivery_failures import as_reason_code


class Upkeep(CaseApplication):
    def watch_deadline(self, case_id: UUID, principal: Principal = SYSTEM) -> str | None:
        """What the watchdog does to one case now: "breached", "warned", or None.

        A breach is recorded as of the moment the limit passed, so a watchdog catching up
        after downtime writes the history as it happened. Two watchdogs racing on a case
        meet the store's version check: the loser reloads and finds nothing left to do.
        """
        for _attempt in range(3):
            case = self.load_case(case_id)
            deadline = case.deadline
            now = self.clock()
            if deadline is None or deadline.breached:
                return None
            try:
                if deadline.passed_by(now):
                    self._act(principal, case_id, "watch", lambda c, s: c.breach_deadline(s),
                              occurred_at=min(now, _just_after(deadline.due_at)))
                    return "breached"
                if (
                    not deadline.warned
                    and deadline.running
                    and deadline.started_at < (warn_from := self.deadlines.warn_from(deadline))
                    and now >= warn_from
                ):
                    self._act(principal, case_id, "watch", lambda c, s: c.warn_deadline(s))
                    return "warned"
                return None
            except VersionConflictError:
                continue
            except CaseRuleError:
                return None
        return None

    def recompute_deadline(
        self, case_id: UUID, reason: str, principal: Principal = SYSTEM
    ) -> Case | None:
        """Walk a provisional due time again on the calendar as it now stands; None if not."""

        def recompute(case: Case, stamp: Stamp) -> None:
            assert case.deadline is not None
            case.recompute_deadline(stamp, self.deadlines.recomputed(case.deadline), reason)

        case = self.load_case(case_id)
        if case.deadline is None or not case.deadline.provisional:
            return None
        if self.deadlines.recomputed(case.deadline) == case.deadline.due:
            return None  # the calendar gives the same answer: nothing moved
        return self._act(principal, case_id, "recompute_deadline", recompute,
                         expected_version=case.version)

    def record_receipt(
        self, case_id: UUID, notification_id: str, *, delivered: bool, channel: str = "",
        template: str = "", message_id: str = "", sent_at: datetime | None = None,
        text: str = "", reason: str = "", channels: Sequence[Mapping[str, Any]] = (),
    ) -> bool:
        """Record what the notify service reports, once per notice; False if known.

        A delivered notice names the `channels` it reached (each: channel, notification_id,
        message_id, sent_at); a receipt of one channel alone may name it by `channel`,
        `message_id` and `sent_at` instead, as notify did before it reported notices.
        A failure's `reason` is kept only as a reason code (shared.contract.delivery_failures):
        free words may name the filer's URL or an address inside the network."""

        def record(case: Case, stamp: Stamp) -> None:
            if delivered:
                reached = channels or [{"channel": channel, "notification_id": notification_id,
                                        "message_id": message_id,
                                        "sent_at": sent_at or stamp.occurred_at}]
                case.record_filer_notified(stamp, notification_id, template, text, reached)
            else:
                case.record_filer_unreachable(stamp, notification_id, as_reason_code(reason))

        try:
            self._act(SYSTEM, case_id, "record_receipt", record)
        except CaseRuleError as error:
            if error.rule != "receipt_recorded":
                raise
            return False
        except VersionConflictError:
            # A concurrent write; a duplicate receipt is the likely one, so look again.
            case = self.load_case(case_id)
            if case.was_told(notification_id) or notification_id in case.failed_notifications:
                return False
            raise
        return True


def _just_after(moment: datetime) -> datetime:
    return moment + timedelta(seconds=1)
