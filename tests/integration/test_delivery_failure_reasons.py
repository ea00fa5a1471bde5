"""Why a message could not reach the filer is recorded as a reason code, never the network's
words or an address, and shown in the reader's words; a confidential filer's webhook URL
reaches no handler through the history or the case page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from complaints.processes import receive_once
from shared.contract.envelope import event_id_for
from shared.contract.receipts import Receipt, encode_receipt
from shared.contract.topics import RECEIPTS
from shared.stream.base import Outgoing
from shared.stream.factory import open_publisher
from tests.fixtures.pages import flat_text_of
from tests.integration.test_pages_staff import Desk
from tests.integration.test_pages_tracking import Tracker

SECRET_HOOK = "https://hooks.amur-secret.example/erp/7f3a9c"
# What notify reported before reason codes: its network's words, with the filer's URL.
NETWORK_WORDS = f"{SECRET_HOOK}: answered 302 Found (Location: http://10.0.0.7/)"
FAILED_AT = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


@pytest.fixture
def store() -> str:
    return "sqlite"


def failed(case_id: str, receipt_id: str, reason: str) -> Receipt:
    return Receipt(
        receipt_id=receipt_id, case_id=uuid.UUID(case_id),
        event_id=event_id_for(uuid.UUID(case_id), 1), delivered=False, channel="webhook",
        template="filed", message_id="", sent_at=FAILED_AT, reason=reason,
    )


def deliver(settings, *receipts: Receipt) -> None:
    """Onto huiyin.receipts and through the receipts process, as notify's reports arrive."""
    publisher = open_publisher(settings)
    try:
        publisher.publish(RECEIPTS, [Outgoing(str(each.case_id), encode_receipt(each))
                                     for each in receipts])
    finally:
        publisher.close()
    receive_once(settings)


@pytest.fixture
def unreachable(filer, staff, runtime):
    """A confidential filer with a webhook only, with the tax department, whose every message
    failed: once with the network's words (an older notify), once with a reason code."""
    case = filer.file_case(confidential=True, category="tax", filer={
        "notify_by": ["webhook"], "webhook_url": SECRET_HOOK})
    intake = staff.login("intake")
    assert intake.act(case.reference, "accept").status_code == 200
    assert intake.act(case.reference, "assign").status_code == 200
    deliver(runtime.services.settings,
            failed(case.case_id, "n-words", NETWORK_WORDS),
            failed(case.case_id, "n-code", "webhook_unreachable"))
    return case


def reasons(history: dict) -> list[str]:
    return [event["data"]["reason"] for event in history["events"]
            if event["type"] == "FilerUnreachable"]


def test_a_failure_is_recorded_as_a_reason_code_and_the_history_shows_only_codes(
    unreachable, staff, runtime
):
    app = runtime.services.complaints
    stored = [event.reason for event in app.repository.event_store.get(
        uuid.UUID(unreachable.case_id)) if type(event).__name__ == "FilerUnreachable"]
    assert stored == ["unknown", "webhook_unreachable"]
    for reader in ("handler-TAX", "supervisor", "auditor"):
        history = staff.login(reader).history(unreachable.reference).json
        assert reasons(history) == ["unknown", "webhook_unreachable"], reader
        # Supervisors and auditors see the filer whole (the URL in Filed), never the words.
        assert "302 Found" not in str(history) and "10.0.0.7" not in str(history), reader


def test_a_confidential_filers_webhook_reaches_no_handler(unreachable, staff, app):
    handler = staff.login("handler-TAX")
    assert "amur-secret" not in handler.history(unreachable.reference).get_data(as_text=True)
    assert "amur-secret" not in handler.view(unreachable.reference).get_data(as_text=True)

    page = Desk(app, "handler-TAX").get(f"/staff/cases/{unreachable.reference}")
    assert page.status_code == 200
    assert "amur-secret" not in page.get_data(as_text=True)
    assert "The filer could not be reached: call them" in flat_text_of(page)


def test_the_case_page_puts_the_reasons_into_the_readers_words(unreachable, staff, app):
    staff.login("supervisor")
    desk = Desk(app, "supervisor")
    english = flat_text_of(desk.get(f"/staff/cases/{unreachable.reference}"))
    assert "The webhook's server could not be connected to." in english
    assert "No reason was recorded." in english
    chinese = flat_text_of(desk.get(f"/staff/cases/{unreachable.reference}", lang="zh"))
    assert "无法连接 Webhook 服务器。" in chinese


def test_the_audit_page_puts_the_reasons_into_words(unreachable, staff, app):
    staff.login("auditor")
    page = Desk(app, "auditor").get(f"/staff/audit/{unreachable.reference}", lang="ru")
    assert page.status_code == 200
    assert "Не удалось подключиться к серверу вебхука." in flat_text_of(page)
    assert "302 Found" not in page.get_data(as_text=True)


def test_the_filer_is_told_on_the_tracking_page_why_a_message_did_not_reach_them(
    unreachable, client
):
    page = Tracker(client).open(unreachable, "ru")
    assert page.status_code == 200
    text = flat_text_of(page)
    assert "Сообщение о вашем деле не удалось доставить." in text
    assert "Не удалось подключиться к серверу вебхука." in text
