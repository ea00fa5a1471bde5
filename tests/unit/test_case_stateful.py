"""Random command sequences against a case: the rules of DESIGN §2 hold after every step."""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from complaints.domain.case import Case
from complaints.domain.chain import GENESIS, event_hash
from complaints.domain.errors import DomainError
from complaints.domain.values import BAD_RATING_MAX, Status
from tests.unit.case_builder import filed_case, stamp

departments = st.sampled_from(["TAX", "CUSTOMS", "SAMR", "COMMERCE"])
text = st.text(min_size=0, max_size=12)


ARGUMENTS: dict[str, st.SearchStrategy[tuple[Any, ...]]] = {
    "accept": st.tuples(departments, st.just([])),
    "refer": st.tuples(text, text),
    "assign": st.tuples(departments, st.lists(departments, max_size=2, unique=True), st.none()),
    "transfer": st.tuples(st.none() | departments, text, st.none()),
    "request_information": st.tuples(st.lists(text, max_size=3)),
    "supply_information": st.tuples(text, st.just([])),
    "note_progress": st.tuples(text, st.sampled_from(["internal", "public"])),
    "respond": st.tuples(st.sampled_from(["resolved", "explained"]), text, st.just([])),
    "rate": st.tuples(st.integers(1, 5), st.just(""), st.just("web")),
    "invalidate_rating": st.tuples(st.sampled_from(["invalid", "malicious"]), text),
    "conclude_review": st.tuples(st.booleans(), text),
    "rectify": st.tuples(st.just(["fixed"])),
    "follow_up": st.tuples(st.just("phone"), st.booleans(), text),
    "reopen": st.tuples(text),
    "close": st.tuples(),
}

NEXT_STEPS = {
    Status.FILED: ["accept", "accept", "refer", "request_information"],
    Status.ACCEPTED: ["assign"],
    Status.ASSIGNED: ["respond", "respond", "transfer", "request_information"],
    Status.AWAITING_INFORMATION: ["supply_information"],
    Status.RESPONDED: ["rate", "rate", "close", "reopen"],
    Status.REFERRED: ["close", "reopen"],
    Status.CLOSED: ["reopen"],
}


class CaseLifecycle(RuleBasedStateMachine):
    """Every command is tried in every state; refusals must be domain errors, never crashes."""

    @initialize(confidential=st.booleans())
    def file(self, confidential: bool) -> None:
        self.case = filed_case(confidential=confidential)
        self.events: list[Any] = []
        self.refusals = 0
        self._collect()

    def _try(self, command: str, *args: Any) -> None:
        try:
            getattr(self.case, command)(stamp(), *args)
        except DomainError:
            self.refusals += 1
            assert not self.case.pending_events, "a refused command must record nothing"
        self._collect()

    def _collect(self) -> None:
        self.events.extend(self.case.collect_events())

    @rule(command=st.sampled_from(sorted(ARGUMENTS)), data=st.data())
    def attempt_any_command(self, command: str, data: st.DataObject) -> None:
        """Any command, in whatever state the case is: refused or done, never broken."""
        self._try(command, *data.draw(ARGUMENTS[command], label=command))

    @rule(data=st.data())
    def take_the_next_natural_step(self, data: st.DataObject) -> None:
        """Steer towards the deep states: the review loop, closing, reopening."""
        case = self.case
        if case.review.awaits_recheck:
            options = ["conclude_review", "invalidate_rating", "close"]
        elif case.review.awaits_rectification:
            options = ["rectify", "close"]
        elif case.review.awaits_return_visit:
            options = ["follow_up", "close"]
        else:
            options = NEXT_STEPS[Status(case.status)]
        command = data.draw(st.sampled_from(options), label="next step")
        arguments = data.draw(ARGUMENTS[command], label=command)
        if command == "rate":
            arguments = (data.draw(st.sampled_from([1, 2, 2, 3, 5])), "", "web")
        self._try(command, *arguments)

    # -- what must always hold -----------------------------------------------------------

    def _rounds(self) -> list[list[str]]:
        rounds: list[list[str]] = [[]]
        for event in self.events:
            if type(event).__name__ == "Reopened":
                rounds.append([])
            rounds[-1].append(type(event).__name__)
        return rounds

    @invariant()
    def a_closed_case_had_a_visible_reply_and_a_settled_review(self) -> None:
        closings = [i for i, e in enumerate(self.events) if type(e).__name__ == "Closed"]
        for index in closings:
            before = self.events[:index]
            round_start = max(
                (i for i, e in enumerate(before) if type(e).__name__ == "Reopened"), default=0
            )
            names = [type(e).__name__ for e in before[round_start:]]
            assert "Responded" in names or "Referred" in names
            self._assert_loop_closed(before[round_start:])

    def _assert_loop_closed(self, round_events: list[Any]) -> None:
        ratings = [e for e in round_events if type(e).__name__ == "Rated"]
        names = Counter(type(e).__name__ for e in round_events)
        if ratings and ratings[0].score <= BAD_RATING_MAX and not names["RatingInvalidated"]:
            conclusions = [e for e in round_events if type(e).__name__ == "ReviewConcluded"]
            assert conclusions, "a bad review must be re-checked before closing"
            if conclusions[0].upheld:
                assert names["Rectified"] and names["FollowedUp"]

    @invariant()
    def one_rating_per_round(self) -> None:
        for names in self._rounds():
            assert names.count("Rated") <= 1

    @invariant()
    def the_chain_of_hashes_is_whole(self) -> None:
        previous = GENESIS
        for event in self.events:
            fields = {k: v for k, v in event.__dict__.items() if k != "originator_topic"}
            assert event.prev_hash == previous
            assert event_hash(type(event).__qualname__, fields) == event.hash
            previous = event.hash

    @invariant()
    def replaying_the_events_gives_the_same_case(self) -> None:
        replayed: Case | None = None
        for event in self.events:
            replayed = event.mutate(replayed)
        assert replayed is not None
        for attribute in ("status", "round", "review", "lead_department", "co_departments",
                          "head_hash", "version", "reply", "requested_items"):
            assert getattr(replayed, attribute) == getattr(self.case, attribute), attribute

    @invariant()
    def the_status_is_always_a_known_state(self) -> None:
        assert Status(self.case.status)


CaseLifecycle.TestCase.settings = settings(max_examples=150, stateful_step_count=40,
                                           deadline=None)
test_case_lifecycle = CaseLifecycle.TestCase
