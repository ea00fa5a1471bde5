"""Given a case in each state, each reader is offered exactly the commands they may give."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from complaints.application.affordances import available_commands
from complaints.application.catalogue import CATALOGUE
from complaints.application.permissions import authorize
from complaints.application.principals import Principal
from complaints.domain.case import Case
from complaints.domain.deadline import DueTime
from complaints.domain.values import ErasureBasis, Role, Stage
from tests.unit.case_builder import T0, filed_case, stamp

DAY = timedelta(days=1)
INTAKE = Principal("intake", Role.INTAKE)
SUPERVISOR = Principal("supervisor", Role.SUPERVISOR, "BIZENV")
AUDITOR = Principal("auditor", Role.AUDITOR)
LEAD = Principal("handler-tax", Role.HANDLER, "TAX")
CO_HANDLER = Principal("handler-customs", Role.HANDLER, "CUSTOMS")
OTHER_HANDLER = Principal("handler-land", Role.HANDLER, "LAND")


def due(days: int) -> DueTime:
    return DueTime(T0 + days * DAY, False, days)


# -- cases in each state, built by real commands, with the clocks the application would start --


def filed() -> Case:
    return filed_case(due_at=T0 + DAY, due_provisional=False, due_working_days=1)


def accepted() -> Case:
    case = filed()
    case.accept(stamp(), "TAX", ["CUSTOMS"])
    return case


def referred() -> Case:
    case = filed()
    case.refer(stamp(), "a consumer matter", "12315")
    return case


def assigned() -> Case:
    case = accepted()
    case.assign(stamp(), "TAX", ["CUSTOMS"], due(15))
    return case


def sent_back_to_intake() -> Case:
    case = assigned()
    case.transfer(stamp("handler"), None, "not a tax matter", due(1))
    return case


def extended() -> Case:
    case = assigned()
    case.extend_deadline(stamp("supervisor"), Stage.REPLY, 5, "busy", due(20), most=15)
    return case


def awaiting_information() -> Case:
    case = assigned()
    case.request_information(stamp("handler"), ["the export declaration"])
    return case


def responded() -> Case:
    case = assigned()
    case.respond(stamp("handler"), "resolved", "paid", [])
    return case


def rated(score: int) -> Callable[[], Case]:
    def build() -> Case:
        case = responded()
        case.rate(stamp("filer"), score, "", "web")
        return case

    return build


def upheld() -> Case:
    case = rated(1)()
    case.conclude_review(stamp("supervisor"), True, "our delay", due(15))
    return case


def not_upheld() -> Case:
    case = rated(2)()
    case.conclude_review(stamp("supervisor"), False, "paid on time")
    return case


def rectified() -> Case:
    case = upheld()
    case.rectify(stamp("handler"), ["a new check list"], due(3))
    return case


def followed_up() -> Case:
    case = rectified()
    case.follow_up(stamp(), "phone", True, "")
    return case


def invalidated() -> Case:
    case = rated(1)()
    case.invalidate_rating(stamp("supervisor"), "malicious", "insults only")
    return case


def closed() -> Case:
    case = responded()
    case.close(stamp())
    return case


def filer_of(case: Case) -> Principal:
    return Principal(f"filer:{case.reference}", Role.FILER, case_id=case.id)


STRANGER = Principal("filer:HY-2026-999999", Role.FILER, case_id=Case.create_id("HY-2026-999999"))

NOTE = "note_progress"
# state: (builder, {reader: the commands offered}); a reader not named is offered nothing.
EXPECTED: dict[str, tuple[Callable[[], Case], dict[str, set[str]]]] = {
    "filed": (filed, {
        "intake": {"accept", "refer", "request_information", NOTE},
        "supervisor": {"accept", "refer", "request_information", NOTE, "extend_deadline"},
    }),
    "accepted": (accepted, {
        "intake": {"refer", "assign", "request_information", NOTE},
        "supervisor": {"refer", "assign", "request_information", NOTE, "extend_deadline"},
    }),
    "referred": (referred, {
        "intake": {NOTE, "close"},
        "supervisor": {NOTE, "reopen", "close"},
        "filer": {"reopen"},
    }),
    "assigned": (assigned, {
        "intake": {"transfer", "request_information", NOTE},
        "supervisor": {"transfer", "request_information", NOTE, "extend_deadline"},
        "lead": {"transfer", "request_information", NOTE, "respond"},
        "co_handler": {NOTE},
    }),
    "sent back to intake": (sent_back_to_intake, {
        "intake": {"refer", "assign", "request_information", NOTE},
        "supervisor": {"refer", "assign", "request_information", NOTE, "extend_deadline"},
    }),
    "assigned, extended once": (extended, {
        "intake": {"transfer", "request_information", NOTE},
        "supervisor": {"transfer", "request_information", NOTE},
        "lead": {"transfer", "request_information", NOTE, "respond"},
        "co_handler": {NOTE},
    }),
    "awaiting information": (awaiting_information, {
        "intake": {"supply_information", NOTE},
        "supervisor": {NOTE, "extend_deadline"},
        "lead": {NOTE},
        "co_handler": {NOTE},
        "filer": {"supply_information"},
    }),
    "responded": (responded, {
        "intake": {NOTE, "rate", "close"},
        "supervisor": {NOTE, "reopen", "close"},
        "lead": {NOTE, "close"},
        "co_handler": {NOTE},
        "filer": {"rate", "reopen"},
    }),
    "rated well": (rated(4), {
        "intake": {NOTE, "close"},
        "supervisor": {NOTE, "invalidate_rating", "reopen", "close"},
        "lead": {NOTE, "close"},
        "co_handler": {NOTE},
        "filer": {"reopen"},
    }),
    "rated badly": (rated(2), {
        "intake": {NOTE},
        "supervisor": {NOTE, "invalidate_rating", "conclude_review"},
        "lead": {NOTE},
        "co_handler": {NOTE},
    }),
    "bad review ruled malicious": (invalidated, {
        "intake": {NOTE, "close"},
        "supervisor": {NOTE, "reopen", "close"},
        "lead": {NOTE, "close"},
        "co_handler": {NOTE},
        "filer": {"reopen"},
    }),
    "re-check upheld": (upheld, {
        "intake": {NOTE},
        "supervisor": {NOTE, "invalidate_rating", "extend_deadline"},
        "lead": {NOTE, "rectify"},
        "co_handler": {NOTE},
    }),
    "re-check not upheld": (not_upheld, {
        "intake": {NOTE, "close"},
        "supervisor": {NOTE, "invalidate_rating", "reopen", "close"},
        "lead": {NOTE, "close"},
        "co_handler": {NOTE},
        "filer": {"reopen"},
    }),
    "rectified": (rectified, {
        "intake": {NOTE, "follow_up"},
        "supervisor": {NOTE, "invalidate_rating", "follow_up", "extend_deadline"},
        "lead": {NOTE, "follow_up"},
        "co_handler": {NOTE},
    }),
    "return visit recorded": (followed_up, {
        "intake": {NOTE, "close"},
        "supervisor": {NOTE, "invalidate_rating", "reopen", "close"},
        "lead": {NOTE, "close"},
        "co_handler": {NOTE},
        "filer": {"reopen"},
    }),
    "closed": (closed, {
        "supervisor": {"reopen"},
        "filer": {"reopen"},
    }),
}  # fmt: skip

# Where a case may still be marked a duplicate: before its reply.
BEFORE_REPLY = {"filed", "accepted", "assigned", "sent back to intake", "assigned, extended once",
                "awaiting information"}


def linking(state: str, reader: str, offered: dict[str, set[str]]) -> set[str]:
    """Links and duplicate marks, in every state: intake and supervisors on any case, a
    handler on a case their department handles (a link) or leads (a duplicate mark)."""
    desk = reader in ("intake", "supervisor")
    # A handler's department is involved where something is offered it, and in a closed case.
    involved = reader in ("lead", "co_handler") and (reader in offered or state == "closed")
    marks = state in BEFORE_REPLY and (desk or (reader == "lead" and involved))
    return ({"link"} if desk or involved else set()) | ({"mark_duplicate"} if marks else set())


READERS: dict[str, Callable[[Case], Principal]] = {
    "intake": lambda case: INTAKE,
    "supervisor": lambda case: SUPERVISOR,
    "auditor": lambda case: AUDITOR,
    "lead": lambda case: LEAD,
    "co_handler": lambda case: CO_HANDLER,
    "other_handler": lambda case: OTHER_HANDLER,
    "filer": filer_of,
    "another_filer": lambda case: STRANGER,
}


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("state", EXPECTED)
def test_each_reader_is_offered_what_the_role_and_the_state_allow(state, reader):
    build, offered = EXPECTED[state]
    case = build()
    # A supervisor may erase the personal data of any case, at the filer's request, once.
    erasure = {"erase_personal_data"} if reader == "supervisor" else set()
    expected = offered.get(reader, set()) | erasure | linking(state, reader, offered)
    assert set(available_commands(READERS[reader](case), case)) == expected


def test_erasure_is_offered_once():
    case = closed()
    case.erase_personal_data(stamp("supervisor"), ErasureBasis.RETENTION_EXPIRED)

    assert set(available_commands(SUPERVISOR, case)) == {"reopen", "link"}


@pytest.mark.parametrize("state", EXPECTED)
def test_asking_leaves_the_case_as_it_was(state):
    case = EXPECTED[state][0]()
    case.collect_events()
    version, review, deadline = case.version, case.review, case.deadline
    available_commands(SUPERVISOR, case)
    available_commands(LEAD, case)
    assert (case.version, case.review, case.deadline) == (version, review, deadline)
    assert case.collect_events() == []


def test_the_commands_come_in_the_catalogues_order():
    case = assigned()
    offered = available_commands(SUPERVISOR, case)
    assert offered == [
        "transfer", "request_information", NOTE, "extend_deadline", "link", "mark_duplicate",
        "erase_personal_data",
    ]
    assert offered == [command for command in CATALOGUE if command in offered]


def test_every_command_a_person_gives_has_a_trial():
    people = {name for name, command in CATALOGUE.items() if set(command.rights) != {Role.SYSTEM}}
    assert {name for name, command in CATALOGUE.items() if command.trial} == people


@pytest.mark.parametrize("state", EXPECTED)
def test_what_is_offered_is_what_the_aggregate_then_accepts(state):
    """Giving each offered command for real, on a fresh case in that state, is accepted."""
    build, offered = EXPECTED[state]
    real = {
        "accept": lambda case, s: case.accept(s, "TAX", []),
        "refer": lambda case, s: case.refer(s, "not ours", "12315"),
        "assign": lambda case, s: case.assign(s, "TAX", ["CUSTOMS"], due(15)),
        "transfer": lambda case, s: case.transfer(s, "SAMR", "a licence", due(15)),
        "request_information": lambda case, s: case.request_information(s, ["the contract"]),
        "supply_information": lambda case, s: case.supply_information(s, "attached", []),
        "note_progress": lambda case, s: case.note_progress(s, "called them", "public"),
        "respond": lambda case, s: case.respond(s, "explained", "the rule is…", []),
        "rate": lambda case, s: case.rate(s, 1, "", "hotline"),
        "invalidate_rating": lambda case, s: case.invalidate_rating(s, "invalid", "spam"),
        "conclude_review": lambda case, s: case.conclude_review(s, True, "ours", due(15)),
        "rectify": lambda case, s: case.rectify(s, ["trained the window"], due(3)),
        "follow_up": lambda case, s: case.follow_up(s, "visit", False, "still slow"),
        "reopen": lambda case, s: case.reopen(s, "the refund bounced", due(15)),
        "close": lambda case, s: case.close(s),
        "extend_deadline": lambda case, s: case.extend_deadline(
            s, case.deadline.stage, 15, "a site visit", due(30), most=15
        ),
    }
    for reader, commands in offered.items():
        for command in commands:
            case = build()
            principal = READERS[reader](case)
            authorize(principal, command, case)
            real[command](case, principal.stamp(T0 + DAY))
