"""GET /api/v1/cases/{case}/suggestions: learned from closed cases, or the routing table."""

from __future__ import annotations

import pytest

from complaints.web.runtime import dispatcher

POWER = ("工厂用电报装排队三个月", "供电公司拖延接电，变压器增容收费不合理")


def close_case(filer, staff, category, words, lead, *, transfer_to=None):
    """A case filed under `category`, assigned to `lead`, maybe transferred, replied, closed."""
    intake = staff.login("intake")
    case = filer.file_case(category=category, subject=words[0], description=words[1])
    intake.act(case.reference, "accept")
    intake.act(case.reference, "assign", {"lead": lead})
    final = lead
    if transfer_to:
        staff.login(f"handler-{lead}").act(case.reference, "transfer",
                                           {"to": transfer_to, "reason": "职责不符"})
        final = transfer_to
    handler = staff.login(f"handler-{final}")
    assert handler.act(case.reference, "responses",
                       {"outcome": "explained", "reply": "已答复。"}).status_code == 200
    assert handler.act(case.reference, "close").status_code == 200
    return case


def test_without_history_the_routing_table_answers_and_says_why(filer, staff):
    case = filer.file_case(category="tax")

    reply = staff.login("intake").get(f"/api/v1/cases/{case.reference}/suggestions")

    assert reply.status_code == 200, reply.json
    assert reply.json["source"] == "routing_table"
    assert reply.json["reason"] == "no model has been trained yet"
    assert reply.json["categories"][0] == {"code": "tax", "confidence": None}
    assert reply.json["departments"][0] == {"code": "TAX", "confidence": None}
    assert reply.json["model"] is None


def test_closed_cases_teach_the_department_that_finally_replied(filer, staff, event_store,
                                                                 runtime):
    bounced = close_case(filer, staff, "utilities", POWER, "HOUSING", transfer_to="POWER")
    event_store.catch_up()

    learned = {row["reference"]: row for row in runtime.case_index.closed_texts()}

    assert learned[bounced.reference]["lead_department"] == "POWER"
    assert learned[bounced.reference]["category"] == "utilities"
    assert learned[bounced.reference]["subject"] == POWER[0]


def test_a_trained_model_answers_with_its_confidence(app, filer, staff):
    history = [{"reference": f"R{i}", "category": category, "lead_department": lead,
                "subject": words[i % 2], "description": words[(i + 1) % 2]}
               for category, lead, words in (
                   ("utilities", "POWER", POWER),
                   ("tax", "TAX", ("出口退税迟迟未到账", "增值税发票无法开具")))
               for i in range(30)]
    with app.app_context():
        assert dispatcher().train(history).trained
    case = filer.file_case(category="other", subject="用电报装被拖延", description="供电公司不接电")

    reply = staff.login("supervisor").get(f"/api/v1/cases/{case.reference}/suggestions")

    assert reply.json["source"] == "model"
    assert reply.json["categories"][0]["code"] == "utilities"
    assert reply.json["departments"][0]["code"] == "POWER"
    assert 0.5 < reply.json["categories"][0]["confidence"] <= 1
    assert reply.json["model"]["cases"] == 60


@pytest.mark.parametrize("who", ["handler-TAX", "auditor"])
def test_only_intake_and_supervisors_are_given_suggestions(filer, staff, assert_error, who):
    case = filer.file_case()

    reply = staff.login(who).get(f"/api/v1/cases/{case.reference}/suggestions")

    assert_error(reply, 403)


def test_a_filer_and_no_one_are_refused(filer, staff, assert_error):
    case = filer.file_case()

    assert_error(filer.sign_in(case).get(f"/api/v1/cases/{case.reference}/suggestions"), 403)
    assert_error(filer.anonymous.get(f"/api/v1/cases/{case.reference}/suggestions"), 401)


def test_an_unknown_case_is_named(staff, assert_error):
    reply = staff.login("intake").get("/api/v1/cases/HY-2026-999999/suggestions")

    assert assert_error(reply, 404, "not_found")["details"] == {"case": "HY-2026-999999"}
