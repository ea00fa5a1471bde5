"""The tracking page through Flask's test client: the filer's own case, and nothing more."""

from __future__ import annotations

import io
import re
from datetime import datetime
from html import unescape
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask.testing import FlaskClient

from complaints.adapters.attachments import attachments_of
from complaints.application.filing import Filing
from complaints.application.principals import Principal
from complaints.application.service import Complaints
from complaints.domain.values import Role
from complaints.web.identity import PUBLIC_FILER
from complaints.web.runtime import Runtime
from tests.fixtures.attachments import described, seal_into
from tests.fixtures.filing import filing_command
from tests.fixtures.pages import text_of

INTAKE = Principal(actor_id="intake-wang", role=Role.INTAKE)
HANDLER = Principal(actor_id="handler-customs-li", role=Role.HANDLER, department="CUSTOMS")
SUPERVISOR = Principal(actor_id="supervisor-zhao", role=Role.SUPERVISOR)
PAYLOAD = '<img src=x onerror=alert(1)><script>alert(1)</script>'
PDF = b"%PDF-1.4\n%%EOF\n"
WRONG_PAIR = "The reference or the access code is not right. Check both and try again."


@pytest.fixture
def store() -> str:
    return "sqlite"


@pytest.fixture
def app_(runtime: Runtime) -> Complaints:
    return runtime.services.complaints


def submission(**overrides: Any) -> dict[str, Any]:
    return {
        "channel": "web",
        "category": "cross_border_trade",
        "subject": "Груз задержан на таможне",
        "description": "Партия соевых бобов стоит на пункте пропуска с 3 ноября.",
        "filer": {"enterprise_name": "ООО «Амур-Транзит»", "phone": "+7 914 555 0101",
                  "language": "ru"},
        **overrides,
    }


def file(app: Complaints, **overrides: Any) -> Filing:
    return app.file_case(PUBLIC_FILER, filing_command(submission(**overrides)))


def assign(app: Complaints, filing: Filing) -> None:
    app.accept_case(INTAKE, filing.case_id)
    app.assign_case(INTAKE, filing.case_id)


def reply(app: Complaints, filing: Filing, text: str = "Груз выпущен 20 ноября.") -> None:
    assign(app, filing)
    app.respond(HANDLER, filing.case_id, "resolved", text, ["Досмотр проведён вне очереди"])


def form_token(page: str) -> str:
    return unescape(re.search(r'name="[\w-]*csrf_token"[^>]*value="([^"]+)"', page).group(1))


class Tracker:
    """An enterprise at the tracking page, with a browser's cookies."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def sign_in(self, reference: str, code: str, language: str = "en"):
        page = self.client.get(f"/track?lang={language}").get_data(as_text=True)
        return self.client.post("/track", data={
            "csrf_token": form_token(page), "reference": reference, "access_code": code})

    def open(self, filing: Filing, language: str = "en"):
        self.sign_in(filing.reference, filing.access_code, language)
        return self.client.get(f"/track/{filing.reference}")

    def post(self, path: str, fields: dict[str, Any], files=()):
        page = self.client.get(path.rsplit("/", 1)[0]).get_data(as_text=True)
        data = {**fields, "csrf_token": form_token(page)}
        if files:
            data["information-attachments"] = [(io.BytesIO(body), name) for body, name in files]
        return self.client.post(path, data=data, content_type="multipart/form-data")


@pytest.fixture
def tracker(client: FlaskClient) -> Tracker:
    return Tracker(client)


# -- signing in ----------------------------------------------------------------------------


@pytest.mark.parametrize("wrong", ["code", "reference", "malformed"])
def test_a_wrong_pair_gets_one_message_whichever_was_wrong(tracker, app_, wrong):
    filing = file(app_)
    reference, code = filing.reference, filing.access_code
    if wrong == "code":
        code = "2345-6789-ABCD"
    elif wrong == "reference":
        reference = "HY-2026-999999"
    else:
        reference = "not a reference"
    response = tracker.sign_in(reference, code)
    assert response.status_code == 422
    assert WRONG_PAIR in text_of(response)
    assert code not in response.get_data(as_text=True)  # the code is not sent back
    assert tracker.client.get(f"/track/{filing.reference}").status_code == 302


def test_signing_in_opens_the_case_in_plain_words(tracker, app_):
    filing = file(app_)
    signed_in = tracker.sign_in(filing.reference, filing.access_code.lower())
    assert signed_in.status_code == 303
    assert signed_in.headers["Location"].endswith(f"/track/{filing.reference}")
    page = tracker.client.get(signed_in.headers["Location"])
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "private, no-store"
    text = text_of(page)
    assert f"Case {filing.reference}" in text
    assert "Received: waiting to be accepted" in text
    assert "Your complaint was received." in text
    assert "Acceptance and dispatch, due by" in text
    again = tracker.client.get("/track").get_data(as_text=True)
    assert f'href="/track/{filing.reference}">Back to case {filing.reference}</a>' in again


def test_a_link_from_a_message_asks_for_the_code_then_opens_that_case(tracker, app_):
    filing = file(app_)
    link = tracker.client.get(f"/track/{filing.reference}?lang=ru")
    assert link.status_code == 302
    assert link.headers["Location"].endswith(f"/track?reference={filing.reference}")
    form = tracker.client.get(link.headers["Location"]).get_data(as_text=True)
    assert f'value="{filing.reference}"' in form
    assert "Проверить статус обращения" in unescape(form)
    opened = tracker.client.post("/track", data={
        "csrf_token": form_token(form), "reference": filing.reference,
        "access_code": filing.access_code}, follow_redirects=True)
    assert f"Обращение {filing.reference}" in text_of(opened)


def test_leaving_the_case_signs_the_filer_out(tracker, app_):
    filing = file(app_)
    page = tracker.open(filing).get_data(as_text=True)
    left = tracker.client.post("/track/sign-out", data={"csrf_token": form_token(page)})
    assert left.status_code == 303
    assert tracker.client.get(f"/track/{filing.reference}").status_code == 302


# -- what the filer sees -----------------------------------------------------------------------


def test_internal_notes_and_staff_names_never_show(tracker, app_):
    filing = file(app_)
    assign(app_, filing)
    app_.note_progress(HANDLER, filing.case_id, "INTERNAL: the filer sounds difficult", "internal")
    app_.note_progress(HANDLER, filing.case_id, "Мы запросили данные у пункта пропуска.", "public")
    page = tracker.open(filing).get_data(as_text=True)
    assert "Мы запросили данные у пункта пропуска." in page
    assert "INTERNAL" not in page
    for name in ("intake-wang", "handler-customs-li"):
        assert name not in page
    assert "Intake desk" in page and "The department" in page
    assert "It was sent to Customs." in unescape(page)
    assert "Customs, together with Commerce Bureau" in unescape(page)  # lead, co-handler


def test_every_message_the_filer_was_sent_is_listed(tracker, app_):
    filing = file(app_)
    app_.record_receipt(filing.case_id, "n-1", delivered=True, channel="email",
                        template="filed", text="Ваша жалоба зарегистрирована под номером …")
    app_.record_receipt(filing.case_id, "n-2", delivered=True, channel="inbox",
                        template="filed", text=f"Inbox copy {PAYLOAD}")
    page = tracker.open(filing)
    text = text_of(page)
    assert "Ваша жалоба зарегистрирована под номером" in text
    assert "E-mail" in text and "This page" in text
    assert "<script>alert(1)" not in page.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.get_data(as_text=True)


def test_a_provisional_due_time_says_so(tracker, app_):
    city = ZoneInfo("Asia/Shanghai")
    with time_machine.travel(datetime(2026, 12, 15, 10, 0, tzinfo=city), tick=False):
        filing = file(app_)
        assign(app_, filing)
    text = text_of(tracker.open(filing))
    assert "The department's reply, due by" in text
    assert "(provisional: the official holiday calendar for that year is not published yet" \
        in text


# -- answering, rating, reopening ---------------------------------------------------------


def test_the_filer_answers_a_request_for_information_with_a_document(tracker, app_):
    filing = file(app_)
    assign(app_, filing)
    app_.request_information(HANDLER, filing.case_id, ["Копия декларации", PAYLOAD])
    page = tracker.open(filing)
    text = text_of(page)
    assert "Waiting for information from you" in text
    assert "We need more information from you" in text and "Копия декларации" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.get_data(as_text=True)

    path = f"/track/{filing.reference}/information"
    empty = tracker.post(path, {"information-content": ""})
    assert empty.status_code == 422
    assert "Write your answer" in text_of(empty)
    sent = tracker.post(path, {"information-content": "Декларация во вложении."},
                        files=[(PDF, "декларация.pdf")])
    assert sent.status_code == 303
    case = app_.load_case(filing.case_id)
    assert case.status == "assigned"
    [document] = attachments_of(case.attachments)
    assert document.name == "декларация.pdf"

    page = tracker.client.get(f"/track/{filing.reference}").get_data(as_text=True)
    assert "You sent more information." in page and "Декларация во вложении." in page
    download = tracker.client.get(f"/track/attachments/{document.sha256}")
    assert download.status_code == 200
    assert download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%D0%B4" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]


def test_the_rating_form_appears_once_a_reply_exists_with_five_labelled_levels(tracker, app_):
    filing = file(app_)
    assign(app_, filing)
    assert 'name="rating-score"' not in tracker.open(filing, "zh").get_data(as_text=True)
    app_.respond(HANDLER, filing.case_id, "resolved", "Груз выпущен.", [])
    page = tracker.client.get(f"/track/{filing.reference}").get_data(as_text=True)
    labels = re.findall(r'<label class="filer-choice__label" for="rating-score[^"]*">'
                        r'<span[^>]*>(\d)</span> ([^<]+)</label>', page)
    assert labels == [("5", "非常满意"), ("4", "满意"), ("3", "基本满意"), ("2", "不满意"),
                      ("1", "非常不满意")]
    assert 'name="reopening-reason"' in page  # the domain allows reopening a reply


def test_a_bad_rating_is_followed_up_and_reopening_waits_for_the_recheck(tracker, app_):
    filing = file(app_)
    reply(app_, filing)
    tracker.open(filing)
    path = f"/track/{filing.reference}/rating"
    missing = tracker.post(path, {"rating-comment": "?"})
    assert missing.status_code == 422
    assert "Choose how satisfied you are with the reply" in text_of(missing)
    rated = tracker.post(path, {"rating-score": "2", "rating-comment": "Груз простоял зря."})
    assert rated.status_code == 303
    assert app_.load_case(filing.case_id).review.score == 2

    page = tracker.client.get(f"/track/{filing.reference}")
    text = text_of(page)
    assert "Replied, and you have rated the reply" in text
    assert "You rated the reply: 2 – Dissatisfied." in text
    assert "The Business Environment Bureau is checking how your case was handled" in text
    assert 'name="rating-score"' not in page.get_data(as_text=True)
    assert 'name="reopening-reason"' not in page.get_data(as_text=True)
    again = tracker.post(path, {"rating-score": "5"})
    assert again.status_code == 422
    assert "This reply has been rated already." in text_of(again)
    early = tracker.post(f"/track/{filing.reference}/reopening", {"reopening-reason": "Нет"})
    assert early.status_code == 422
    assert "You can ask to reopen the case once that check is concluded." in text_of(early)

    app_.conclude_review(SUPERVISOR, filing.case_id, False, "Сроки досмотра соблюдены.")
    page = tracker.client.get(f"/track/{filing.reference}").get_data(as_text=True)
    assert "found that your case was handled by the rules" in unescape(page)
    reopened = tracker.post(f"/track/{filing.reference}/reopening",
                            {"reopening-reason": "Убытки не возмещены."})
    assert reopened.status_code == 303
    case = app_.load_case(filing.case_id)
    assert (case.status, case.round) == ("assigned", 2)
    assert "The case was reopened to be handled again." in text_of(
        tracker.client.get(f"/track/{filing.reference}"))


def test_the_tracking_forms_need_the_csrf_token(tracker, app_):
    filing = file(app_)
    reply(app_, filing)
    tracker.open(filing)
    refused = tracker.client.post(f"/track/{filing.reference}/rating",
                                  data={"rating-score": "5"})
    assert refused.status_code == 400
    assert app_.load_case(filing.case_id).review.score is None


# -- another case --------------------------------------------------------------------------


def test_a_filer_cannot_open_another_cases_page_or_documents(tracker, app_, runtime):
    mine = file(app_)
    document = described(PDF, "чужой.pdf")
    theirs = file(app_, subject="Чужое дело", attachments=[document.reference])
    seal_into(app_, runtime.services.settings.attachments_dir, theirs.case_id, PDF)
    reply(app_, theirs)

    tracker.open(mine)
    other_page = tracker.client.get(f"/track/{theirs.reference}")
    assert other_page.status_code == 302
    assert other_page.headers["Location"].endswith(f"/track?reference={theirs.reference}")
    assert "Чужое дело" not in tracker.client.get(other_page.headers["Location"]).get_data(
        as_text=True)
    assert tracker.client.get(f"/track/attachments/{document.sha256}").status_code == 404
    assert tracker.client.get("/track/attachments/not-a-hash").status_code == 404
    page = tracker.client.get(f"/track/{mine.reference}").get_data(as_text=True)
    rating = tracker.client.post(f"/track/{theirs.reference}/rating",
                                 data={"csrf_token": form_token(page), "rating-score": "1"})
    assert rating.status_code == 403
    assert app_.load_case(theirs.case_id).review.score is None


def test_documents_are_not_served_to_someone_not_signed_in(tracker, app_, runtime):
    document = described(PDF, "scan.pdf")
    filing = file(app_, attachments=[document.reference])
    seal_into(app_, runtime.services.settings.attachments_dir, filing.case_id, PDF)
    assert tracker.client.get(f"/track/attachments/{document.sha256}").status_code == 404
    tracker.open(filing)
    assert tracker.client.get(f"/track/attachments/{document.sha256}").status_code == 200


def test_a_referred_case_says_where_to_turn_and_may_be_reopened(tracker, app_):
    filing = file(app_)
    app_.refer_case(INTAKE, filing.case_id, "Это вопрос арбитражного суда.",
                    "Арбитражный суд Амурской области")
    text = text_of(tracker.open(filing))
    assert "Referred: this service cannot handle it" in text
    assert "Where to take it instead" in text and "Арбитражный суд Амурской области" in text
    assert "Reason: Это вопрос арбитражного суда." in re.sub(r"\s+", " ", text)
    reopened = tracker.post(f"/track/{filing.reference}/reopening",
                            {"reopening-reason": "Суд отказал: это административный вопрос."})
    assert reopened.status_code == 303
    assert app_.load_case(filing.case_id).status == "filed"
