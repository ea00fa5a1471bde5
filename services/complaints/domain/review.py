"""The filer's review of one round, and the closed loop a bad review sets off.

Re-check → (if upheld) rectification → return visit. A review ruled invalid or malicious
stays on record but no longer holds the case open.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


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
