"""The filer's own copy of their case: everything held about them, as JSON through the API and
the tracking page and as a page to read in their language; theirs alone; after erasure it
says so and holds no personal value."""

from __future__ import annotations

import json

import pytest

from complaints.application.principals import Principal
from complaints.domain.case import case_id_for
from complaints.domain.values import Role
from tests.fixtures.pages import flat_text_of
from tests.fixtures.stores import STORES
from tests.integration.filer_pages import FilingForm, track

ENTERPRISE = "远东商贸ENTMARK51有限公司"
DESCRIPTION = "我公司申报出口退税 DESCMARK62 至今未到账。"
DOCUMENT_NAME = "申报单-DOCMARK73.pdf"
DOCUMENT = b"%PDF-1.7\n% the declaration\n%%EOF\n"
MESSAGE = "尊敬的 MSGMARK84：您的投诉已收到。"
MARKERS = ("ENTMARK51", "DESCMARK62", "DOCMARK73", "MSGMARK84", "+86 456 823 1234")
SUPERVISOR = Principal(actor_id="supervisor-zhao", role=Role.SUPERVISOR)


@pytest.fixture
def filed(client, runtime) -> tuple[str, str]:
    form = FilingForm(client)
    sent = form.send(files=[(DOCUMENT, DOCUMENT_NAME)], enterprise_name=ENTERPRISE,
                     description=DESCRIPTION)
    assert sent.status_code == 303
    reference, code = form.filed()
    runtime.services.complaints.record_receipt(
        case_id_for(reference), "notification-1", delivered=True, channel="email",
        template="filed", message_id="<m1@example.cn>", text=MESSAGE)
    return reference, code


def filer_headers(client, reference: str, code: str) -> dict[str, str]:
    token = client.post("/api/v1/auth/filer-token",
                        json={"reference": reference, "access_code": code}).json
    return {"Authorization": f"Bearer {token['access_token']}"}


@pytest.mark.parametrize("store", STORES)
def test_the_filer_gets_everything_held_about_them_then_that_it_was_erased(
    client, runtime, filed
):
    reference, code = filed
    headers = filer_headers(client, reference, code)
    reply = client.get(f"/api/v1/cases/{reference}/personal-data", headers=headers)
    assert reply.status_code == 200, reply.json
    assert reference in reply.headers["Content-Disposition"]
    copy = reply.json
    assert (copy["format"], copy["version"]) == ("huiyin.filer-copy", 1)
    assert copy["personal_data"] == {"erased": False, "erased_at": None, "basis": None}
    assert copy["filer"]["enterprise_name"] == ENTERPRISE
    assert copy["filer"]["phone"] == "+86 456 823 1234"
    assert copy["written"]["description"] == DESCRIPTION
    assert copy["attachments"] == [{"name": DOCUMENT_NAME, "media_type": "application/pdf",
                                    "size": len(DOCUMENT), "sha256": copy["attachments"][0]
                                    ["sha256"]}]
    assert [event["type"] for event in copy["history"]] == ["Filed", "FilerNotified"]
    assert [message["text"] for message in copy["messages"]] == [MESSAGE]

    runtime.services.complaints.erase_personal_data(SUPERVISOR, case_id_for(reference),
                                                    "filer_request")
    erased = client.get(f"/api/v1/cases/{reference}/personal-data", headers=headers).json
    assert erased["personal_data"]["erased"] is True
    assert erased["personal_data"]["basis"] == "filer_request"
    assert erased["personal_data"]["erased_at"]
    assert [event["type"] for event in erased["history"]][-1] == "PersonalDataErased"
    text = json.dumps(erased, ensure_ascii=False)
    assert [marker for marker in MARKERS if marker in text] == []
    assert erased["filer"]["enterprise_name"] is None
    assert erased["attachments"] == [{"name": None, "media_type": None, "size": None,
                                      "sha256": None}]


def test_no_one_but_the_filer_gets_the_copy(client, runtime, staff, filer, filed,
                                            assert_error):
    reference, _ = filed
    path = f"/api/v1/cases/{reference}/personal-data"
    assert_error(client.get(path), 401)
    for username in ("supervisor", "intake", "auditor", "handler-TAX"):
        assert_error(staff.login(username).get(path), 403)
    other = filer.file_case()
    assert_error(filer.sign_in(other).get(path), 403)


def test_the_tracking_page_gives_the_copy_in_the_filers_language(client, runtime, filed):
    reference, code = filed
    track(client, reference, code)
    case_page = client.get(f"/track/{reference}?lang=en").get_data(as_text=True)
    assert f"/track/{reference}/personal-data" in case_page
    headings = {"en": f"Your data in case {reference}", "zh": f"您在案件 {reference} 中的数据",
                "ru": f"Ваши данные по делу {reference}"}
    for language, heading in headings.items():
        page = client.get(f"/track/{reference}/personal-data?lang={language}")
        assert page.status_code == 200
        text = flat_text_of(page)
        assert heading in text
        assert ENTERPRISE in text and DESCRIPTION in text and DOCUMENT_NAME in text
        assert MESSAGE in text
    download = client.get(f"/track/{reference}/personal-data.json")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    assert json.loads(download.data)["written"]["description"] == DESCRIPTION

    runtime.services.complaints.erase_personal_data(SUPERVISOR, case_id_for(reference),
                                                    "filer_request")
    erased = client.get(f"/track/{reference}/personal-data?lang=en")
    text = flat_text_of(erased)
    assert "Your personal data was erased" in text and "at your request" in text
    assert [marker for marker in MARKERS if marker in erased.get_data(as_text=True)] == []


def test_the_page_copy_of_another_case_is_refused(client, runtime, filed, filer):
    reference, _ = filed
    other = filer.file_case()
    track(client, other.reference, other.access_code)
    assert client.get(f"/track/{reference}/personal-data").status_code == 403
    assert client.get(f"/track/{reference}/personal-data.json").status_code == 403
