"""The filer's review of one round, and the closed loop a bad review sets off.

Re-check → (if upheld) rectification → return visit. A review ruled invalid or malicious
stays on record but no longer holds the case open.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from complaints.domain.deadline import DueTime, due_fields
from complaints.domain.errors import CaseRuleError
from complaints.domain.values import Stamp, Status


@dataclass(frozen=True)
class Review:
    score: int | None = None
    bad: bool = False
    invalidated: str | None = None
    upheld: bool | None = None
    rectified: bool = False
    followed_up: bool = False

    def rated(self, score: int, bad: bool) -> Review:
        return replace(self, score=score, bad=bad)

    def invalidated_as(self, invalidation_class: str) -> Review:
        return replace(self, invalidated=invalidation_class)

    def concluded(self, upheld: bool) -> Review:
        return replace(self, upheld=upheld)

    def rectify(self) -> Review:
        return replace(self, rectified=True)

    def visited(self) -> Review:
        return replace(self, followed_up=True)

    @property
    def counts(self) -> bool:
        """A bad review that was not ruled invalid runs the closed loop."""
        return self.bad and self.invalidated is None

    @property
    def awaits_recheck(self) -> bool:
        return self.counts and self.upheld is None

    @property
    def awaits_rectification(self) -> bool:
        return self.counts and self.upheld is True and not self.rectified

    @property
    def awaits_return_visit(self) -> bool:
        return self.counts and self.rectified and not self.followed_up

    @property
    def stage(self) -> str:
        """Where the closed loop stands, for views: none, recheck, rectification, …"""
        if self.awaits_recheck:
            return "recheck"
        if self.awaits_rectification:
            return "rectification"
        if self.awaits_return_visit:
            return "return_visit"
        return "settled" if self.counts else "none"

    @property
    def blocker(self) -> tuple[str, str] | None:
        """The rule that holds the case open, with a message, or None."""
        if self.awaits_recheck:
            return "review_pending", "a bad review awaits its re-check"
        if self.awaits_rectification:
            return "rectification_required", "an upheld bad review awaits rectification"
        if self.awaits_return_visit:
            return "return_visit_required", "a rectification awaits its return visit"
        return None


class ReviewRules:
    """`Case`'s rules of the review loop; the facts are recorded by `Case`'s `@event` methods."""

    def rate(self, stamp: Stamp, score: int, comment: str, channel: str) -> None:
        self._require("rate", Status.RESPONDED)
        if self.review.score is not None:
            raise CaseRuleError(
                "one_rating_per_round",
                f"round {self.round} of this case has been rated already",
                round=self.round,
            )
        self._rated(stamp=stamp, round=self.round, score=score, comment=comment, channel=channel)

    def invalidate_rating(self, stamp: Stamp, invalidation_class: str, reason: str) -> None:
        if self.review.score is None:
            raise CaseRuleError("rating_required", "there is no rating in this round to invalidate")
        if self.review.invalidated:
            raise CaseRuleError("rating_already_invalidated", "this rating was invalidated already")
        self._rating_invalidated(
            stamp=stamp, round=self.round, invalidation_class=invalidation_class, reason=reason
        )

    def conclude_review(
        self, stamp: Stamp, upheld: bool, explanation: str, due: DueTime | None = None
    ) -> None:
        """The supervisor's re-check; an upheld review starts the rectification clock (`due`)."""
        if not self.review.awaits_recheck:
            raise CaseRuleError(
                "bad_review_required", "only a valid bad review awaiting re-check can be concluded"
            )
        self._review_concluded(
            stamp=stamp, round=self.round, upheld=upheld, explanation=explanation,
            **due_fields(due if upheld else None),
        )

    def rectify(self, stamp: Stamp, actions: list[str], due: DueTime | None = None) -> None:
        """The rectification; `due` is the return visit's due time."""
        if not self.review.awaits_rectification:
            raise CaseRuleError(
                "upheld_review_required", "rectification follows an upheld bad review, once"
            )
        self._rectified(stamp=stamp, round=self.round, actions=actions, **due_fields(due))

    def follow_up(self, stamp: Stamp, method: str, satisfied: bool, notes: str) -> None:
        if not self.review.awaits_return_visit:
            raise CaseRuleError(
                "rectification_required", "a return visit follows a recorded rectification"
            )
        self._followed_up(
            stamp=stamp, round=self.round, method=method, satisfied=satisfied, notes=notes
        )
