"""Cases about one matter: linked as related, or a duplicate answered by its primary's reply;
each reversible, both halves recorded, the history showing both."""

from __future__ import annotations

import pytest


@pytest.fixture
def intake(staff):
    return staff.login("intake")


def assigned(enterprise, desk, /, **overrides):
    case = enterprise.file_case(**overrides)
    desk.act(case.reference, "accept")
    desk.act(case.reference, "assign")
    return case


def event_names(session, reference):
    return [event["type"] for event in session.history(reference).json["events"]]


def test_two_cases_are_linked_and_unlinked_each_recording_its_half(filer, intake):
    first, second = assigned(filer, intake), assigned(filer, intake, subject="同一件事")

    linked = intake.act(first.reference, "links", {"other": second.reference})
    undone = intake.act(second.reference, "links/undo",
                        {"other": first.reference, "reason": "not the same matter"})

    assert linked.status_code == 200, linked.json
    assert linked.json["related"] == [second.reference]
    assert undone.status_code == 200, undone.json
    assert undone.json["related"] == []
    assert intake.view(first.reference).json["related"] == []
    for reference in (first.reference, second.reference):
        names = event_names(intake, reference)
        assert names[-2:] == ["LinkedAsRelated", "RelatedLinkUndone"], names


def test_a_duplicate_is_answered_by_its_primarys_reply_and_keeps_its_own_filer(
    filer, intake, staff
):
    primary = assigned(filer, intake)
    duplicate = assigned(filer, intake, filer={"enterprise_name": "另一家公司"})
    handler = staff.login("handler-TAX")

    marked = handler.act(duplicate.reference, "duplicate",
                         {"primary": primary.reference, "reason": "the same refund, called again"})
    handler.act(primary.reference, "responses",
                {"outcome": "resolved", "reply": "退税已于今日到账。", "actions": ["核对"]})

    answered = filer.sign_in(duplicate).view(duplicate.reference).json
    assert marked.status_code == 200, marked.json
    assert marked.json["duplicate_of"] == primary.reference
    assert intake.view(primary.reference).json["duplicates"] == [duplicate.reference]
    assert answered["status"] == "responded"
    assert answered["reply"]["reply"] == "退税已于今日到账。"
    assert answered["reply"]["through_primary"] == primary.reference
    assert answered["filer"]["enterprise_name"] == "另一家公司"
    assert event_names(intake, duplicate.reference)[-1] == "AnsweredThroughPrimary"
    # The duplicate's filer rates their own case.
    owner = filer.sign_in(duplicate)
    assert owner.act(duplicate.reference, "ratings", {"score": 4}).status_code == 200


def test_a_duplicate_marked_after_the_primary_replied_is_answered_at_once(filer, intake, staff):
    primary = assigned(filer, intake)
    staff.login("handler-TAX").act(primary.reference, "responses",
                                   {"outcome": "explained", "reply": "已说明政策。"})
    duplicate = filer.file_case()

    marked = intake.act(duplicate.reference, "duplicate",
                        {"primary": primary.reference, "reason": "repeat call"})

    assert marked.json["status"] == "responded"
    assert marked.json["reply"]["reply"] == "已说明政策。"


def test_undoing_a_duplicate_lets_it_stand_alone_and_the_primarys_reply_no_longer_reaches_it(
    filer, intake, staff
):
    primary = assigned(filer, intake)
    duplicate = assigned(filer, intake)
    intake.act(duplicate.reference, "duplicate", {"primary": primary.reference, "reason": "x"})

    undone = intake.act(duplicate.reference, "duplicate/undo", {"reason": "a different matter"})
    staff.login("handler-TAX").act(primary.reference, "responses",
                                   {"outcome": "resolved", "reply": "已解决。"})

    assert undone.status_code == 200, undone.json
    assert undone.json["duplicate_of"] is None
    assert intake.view(primary.reference).json["duplicates"] == []
    assert intake.view(duplicate.reference).json["status"] == "assigned"
    assert event_names(intake, duplicate.reference)[-2:] == ["MarkedDuplicate", "DuplicateUndone"]
    assert event_names(intake, primary.reference)[-3:-1] == [
        "DuplicateAttached", "DuplicateDetached"]


@pytest.mark.parametrize(
    ("command", "body", "status", "rule"),
    [
        ("links", {"other": "SELF"}, 409, "other_case_required"),
        ("links/undo", {"other": "OTHER", "reason": "x"}, 409, "not_linked"),
        ("duplicate", {"primary": "SELF", "reason": "x"}, 409, "other_case_required"),
        ("duplicate/undo", {"reason": "x"}, 409, "not_duplicate"),
        ("duplicate", {"primary": "HY-2026-999999", "reason": "x"}, 404, None),
        ("links", {"other": "not a reference"}, 422, None),
        ("duplicate", {"primary": "OTHER"}, 422, None),
    ],
)
def test_links_and_duplicates_that_cannot_be_are_refused_and_nothing_is_written(
    filer, intake, event_store, assert_error, command, body, status, rule
):
    case, other = assigned(filer, intake), assigned(filer, intake)
    names = {"SELF": case.reference, "OTHER": other.reference}
    body = {key: names.get(value, value) for key, value in body.items()}
    head = event_store.head()

    reply = intake.act(case.reference, command, body)

    answer = assert_error(reply, status)
    if rule:
        assert answer["details"]["rule"] == rule
    assert event_store.head() == head


def test_a_primary_is_never_a_duplicate_nor_a_duplicate_a_primary(filer, intake, assert_error):
    primary, duplicate, third = (assigned(filer, intake) for _ in range(3))
    intake.act(duplicate.reference, "duplicate", {"primary": primary.reference, "reason": "x"})

    as_duplicate = intake.act(primary.reference, "duplicate",
                              {"primary": third.reference, "reason": "x"})
    onto_duplicate = intake.act(third.reference, "duplicate",
                                {"primary": duplicate.reference, "reason": "x"})

    assert assert_error(as_duplicate, 409)["details"]["rule"] == "primary_not_duplicate"
    assert assert_error(onto_duplicate, 409)["details"]["rule"] == "primary_not_duplicate"


def test_a_handler_links_only_cases_their_department_handles(filer, intake, staff, assert_error):
    ours = assigned(filer, intake)
    theirs = assigned(filer, intake, category="cross_border_trade")
    handler = staff.login("handler-TAX")

    reply = handler.act(ours.reference, "links", {"other": theirs.reference})

    assert_error(reply, 403)
