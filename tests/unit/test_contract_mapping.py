"""Case events → integration events: what goes on the wire, with what context, what never does."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from complaints.application.access_codes import derive_access_code
from complaints.domain.case import Case, case_id_for
from complaints.domain.deadline import DueTime
from complaints.domain.personal import seal_fields
from complaints.domain.values import ErasureBasis, Stage, Stamp
from complaints.streaming.mapping import case_context, integration_event, sealed_as_stored
from complaints.timelimits.deadlines import Deadlines
from shared.contract import case_events as wire
from shared.contract.envelope import Envelope, decode_envelope, encode_envelope, event_id_for
from shared.sealing import DataKey
from tests.unit.case_builder import filed_case, reached, stamp

SECRET = "unit-test-secret-key-with-enough-characters"
DEADLINES = Deadlines.load()
FILER = {
    "enterprise_name": "黑河边贸有限公司",
    "credit_code": "91110000802100433B",
    "email": "wang@example.cn",
    "language": "en",
    "notify_by": ["email", "inbox"],
}


def wire_events(case: Case) -> list[tuple[Case.Event, tuple | None, dict]]:
    """Each pending event, what it maps to, and the case context after it (as the relay sees it)."""
    replayed = None
    mapped = []
    for event in case.collect_events():
        replayed = event.mutate(replayed)
        mapped.append(
            (event, integration_event(event, replayed, SECRET, DEADLINES), case_context(replayed))
        )
    return mapped


def assert_encodable(case: Case, event: Case.Event, mapped: tuple, context: dict) -> None:
    event_type, data = mapped
    envelope = Envelope(
        event_id=event_id_for(case.id, event.originator_version), event_type=event_type,
        schema_version=wire.CURRENT_VERSION[event_type], case_id=case.id,
        case_version=event.originator_version,
        position=event.originator_version, occurred_at=event.stamp.occurred_at,
        recorded_at=event.timestamp, data={**data, "case": context, "historical": False},
    )
    assert decode_envelope(encode_envelope(envelope)) == envelope


def full_life() -> Case:
    case = filed_case(filer=FILER, due_at=datetime(2026, 3, 3, 15, 59, 59, tzinfo=UTC))
    case.request_information(stamp(), ["the invoice"])
    case.supply_information(stamp("filer"), "attached", [])
    case.accept(stamp(), "TAX", ["FINANCE"])
    case.assign(stamp(), "TAX", ["FINANCE"], DueTime(datetime(2026, 3, 23, tzinfo=UTC), False, 15))
    case.transfer(stamp("handler"), "FINANCE", "a subsidy, not a tax",
                  DueTime(datetime(2026, 3, 24, tzinfo=UTC), True, 15))
    case.warn_deadline(stamp("system"))
    case.extend_deadline(stamp("supervisor"), Stage.REPLY, 5, "an expert opinion is needed",
                         DueTime(datetime(2026, 3, 31, tzinfo=UTC), True, 20), most=15)
    case.recompute_deadline(stamp("system"), DueTime(datetime(2026, 4, 1, tzinfo=UTC), False, 20),
                            "the official schedule was loaded")
    case.breach_deadline(
        Stamp("system", "system", datetime(2026, 4, 1, tzinfo=UTC) + timedelta(seconds=1))
    )
    case.note_progress(stamp("handler"), "called the bank, internal", "internal")
    case.note_progress(stamp("handler"), "we are on it", "public")
    case.respond(stamp("handler"), "resolved", "paid", ["paid the refund"])
    case.rate(stamp("filer"), 2, "slow", "web")
    case.conclude_review(stamp("supervisor"), True, "too slow indeed")
    case.rectify(stamp("handler"), ["a faster queue"])
    case.follow_up(stamp("supervisor"), "phone", True, "")
    case.close(stamp("intake"))
    case.reopen(stamp("filer"), "again")
    case.record_filer_notified(stamp("system"), "n-1", "filed", "text",
                               [reached("email", "n-1", "m-1", datetime(2026, 3, 2, tzinfo=UTC))])
    return case


def test_a_whole_life_maps_to_valid_envelopes_and_keeps_internal_things_inside():
    case = full_life()
    types = []
    for event, mapped, context in wire_events(case):
        if mapped is None:
            continue
        types.append(mapped[0])
        assert_encodable(case, event, mapped, context)
    assert types == [
        wire.FILED, wire.INFORMATION_REQUESTED, wire.INFORMATION_SUPPLIED, wire.ACCEPTED,
        wire.ASSIGNED, wire.TRANSFERRED, wire.DEADLINE_APPROACHING, wire.DEADLINE_EXTENDED,
        wire.DEADLINE_RECOMPUTED, wire.DEADLINE_BREACHED, wire.ESCALATED,
        wire.PUBLIC_UPDATE, wire.RESPONDED, wire.RATED,
        wire.REVIEW_CONCLUDED, wire.RECTIFIED, wire.FOLLOWED_UP, wire.CLOSED, wire.REOPENED,
    ]


def test_an_internal_note_never_goes_on_the_wire_and_a_public_one_does():
    mapped = [(event, m) for event, m, _ in wire_events(full_life())
              if isinstance(event, Case.ProgressNoted)]
    assert [m for _, m in mapped] == [None, (wire.PUBLIC_UPDATE, {"text": "we are on it"})]


def test_receipts_that_came_back_are_not_relayed():
    case = filed_case()
    case.record_filer_notified(stamp("system"), "n-1", "filed", "text",
                               [reached("email", "n-1", "m-1", datetime(2026, 3, 2, tzinfo=UTC))])
    case.record_filer_unreachable(stamp("system"), "n-2", "all channels failed")
    assert [m for _, m, _ in wire_events(case)][1:] == [None, None]


def test_filing_carries_the_access_code_and_the_expected_reply_date():
    case = filed_case(filer=FILER, due_at=datetime(2026, 3, 3, 15, 59, 59, tzinfo=UTC))
    (_, (event_type, data), _), = wire_events(case)
    assert event_type == wire.FILED
    assert data["access_code"] == derive_access_code(SECRET, case.id)
    assert data["expected_reply_by"] == DEADLINES.start(Stage.REPLY, "tax", data["accept_by"]).at


def test_the_context_follows_the_departments_and_keeps_the_filers_contacts():
    contexts = [context for _, _, context in wire_events(full_life())]
    assert contexts[0]["lead_department"] is None
    assert (contexts[4]["lead_department"], contexts[4]["co_departments"]) == ("TAX", ["FINANCE"])
    assert (contexts[5]["lead_department"], contexts[5]["co_departments"]) == ("FINANCE", [])
    assert contexts[9]["lead_department"] == "FINANCE"
    assert all(context["language"] == "en" for context in contexts)
    assert contexts[-1]["filer"] == {
        "enterprise_name": "黑河边贸有限公司", "contact_person": None, "person_name": None,
        "email": "wang@example.cn", "phone": None, "webhook_url": None,
        # The inbox is the case's history, always written: not a channel on the wire.
        "notify_by": ["email"],
    }


def test_a_filer_without_a_language_is_written_to_in_chinese():
    case = filed_case(filer={"email": "a@b.example"})
    assert case_context(case)["language"] == "zh"


def test_a_rating_says_whether_it_is_a_bad_review():
    case = filed_case()
    case.accept(stamp(), "TAX", [])
    case.assign(stamp(), "TAX", [], None)
    case.respond(stamp("handler"), "resolved", "done", [])
    case.rate(stamp("filer"), 3, "", "web")
    *_, (_, (event_type, data), _) = wire_events(case)
    assert (event_type, data["bad"], data["score"]) == (wire.RATED, False, 3)


def test_a_referral_and_an_invalidated_rating_map_to_valid_envelopes():
    referred = filed_case()
    referred.refer(stamp(), "a court matter", "the intermediate court")
    invalidated = filed_case()
    invalidated.accept(stamp(), "TAX", [])
    invalidated.assign(stamp(), "TAX", [], None)
    invalidated.respond(stamp("handler"), "resolved", "done", [])
    invalidated.rate(stamp("filer"), 1, "!!!", "web")
    invalidated.invalidate_rating(stamp("supervisor"), "malicious", "abusive")
    *_, (_, refer, _) = wire_events(referred)
    *_, (event, invalidate, context) = wire_events(invalidated)
    assert refer == (wire.REFERRED, {"reason": "a court matter",
                                     "where_to": "the intermediate court"})
    assert_encodable(invalidated, event, invalidate, context)
    assert invalidate[0] == wire.RATING_INVALIDATED


def test_the_past_of_an_imported_case_is_marked_historical_and_its_present_is_not():
    imported = filed_case(stamp=Stamp("import:cfpb", "system", datetime(2023, 8, 25, tzinfo=UTC)))
    imported.accept(Stamp("import:cfpb", "system", datetime(2023, 8, 25, tzinfo=UTC)), "TAX", [])
    imported.assign(Stamp("import:cfpb", "system", datetime(2023, 8, 25, tzinfo=UTC)), "TAX", [],
                    DueTime(datetime(2023, 9, 15, tzinfo=UTC), False, 15))
    # The watchdog breaches it as of 2023; a handler replies today.
    imported.breach_deadline(Stamp("system", "system", datetime(2023, 9, 15, 0, 0, 1, tzinfo=UTC)))
    imported.respond(Stamp("handler", "handler", datetime.now(UTC) + timedelta(seconds=1)),
                     "resolved", "done", [])
    events = imported.collect_events()
    assert [imported.is_historical(event) for event in events] == [
        True, True, True, True, True, False]
    here = filed_case()
    assert not any(here.is_historical(event) for event in here.collect_events())


def sealed_life() -> tuple[Case, DataKey]:
    """A case whose personal values are sealed as the application seals them."""
    fields = {"filer": {**FILER, "contact_person": "王小明", "phone": "+86 451 555 0101",
                        "webhook_url": "https://heihe.example/hook"}}
    case = filed_case(**seal_fields(KEY, "Filed", {**fields, "subject": "出口退税迟迟不到账",
                                                   "description": "三个月前申报"}))
    case.sealer = KEY
    case.accept(stamp(), "TAX", [])
    case.assign(stamp(), "TAX", [], None)
    case.respond(stamp("handler"), "resolved", "paid", [])
    case.rate(stamp("filer"), 1, "太慢了", "web")
    case.conclude_review(stamp("supervisor"), True, "too slow indeed")
    case.rectify(stamp("handler"), ["a faster queue"])
    case.follow_up(stamp("supervisor"), "phone", True, "")
    case.close(stamp("intake"))
    case.reopen(stamp("filer"), "退税仍未到账")
    return case, KEY


KEY = DataKey(case_id_for("HY-2026-000001"), bytes(range(32)))
CLEAR = ("黑河边贸", "王小明", "wang@example.cn", "555 0101", "heihe.example", "出口退税", "太慢了",
         "退税仍未到账")


def test_a_sealed_cases_personal_values_go_on_the_wire_as_tokens_only():
    case, key = sealed_life()
    raws = []
    for event, mapped, context in wire_events(case):
        if mapped is None:
            continue
        event_type, data = mapped
        envelope = Envelope(
            event_id=event_id_for(case.id, event.originator_version), event_type=event_type,
            schema_version=wire.CURRENT_VERSION[event_type], case_id=case.id,
            case_version=event.originator_version, position=event.originator_version,
            occurred_at=event.stamp.occurred_at, recorded_at=event.timestamp,
            data={**sealed_as_stored(data), "case": context, "historical": False},
        )
        raws.append((event_type, encode_envelope(envelope)))
    for event_type, raw in raws:
        assert not [text for text in CLEAR if text.encode() in raw], event_type
    sealed = {event_type: json.loads(raw)["data"] for event_type, raw in raws}
    filer = sealed[wire.FILED]["case"]["filer"]
    assert {name: filer[name] and key.open(filer[name]) for name in wire.SEALED_FILER_FIELDS} == {
        "enterprise_name": "黑河边贸有限公司", "contact_person": "王小明", "person_name": None,
        "email": "wang@example.cn", "phone": "+86 451 555 0101",
        "webhook_url": "https://heihe.example/hook"}
    assert [key.open(sealed[event_type][name]) for event_type, names in wire.SEALED_FIELDS.items()
            for name in names] == ["出口退税迟迟不到账", "太慢了", "退税仍未到账"]


def test_an_erasure_goes_on_the_wire_with_its_basis_and_the_case_says_so_after():
    case = filed_case()
    case.accept(stamp(), "TAX", [])
    case.erase_personal_data(stamp("supervisor"), ErasureBasis.FILER_REQUEST)
    *_, (event, mapped, context) = wire_events(case)
    assert mapped == (wire.PERSONAL_DATA_ERASED, {"basis": "filer_request"})
    assert context["personal_data_erased"] is True
    assert_encodable(case, event, mapped, context)
    assert [c["personal_data_erased"] for _, _, c in wire_events(filed_case())] == [False]
