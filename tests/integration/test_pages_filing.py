"""The filing form through Flask's test client: checks beside each field, files, one case."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from complaints.adapters.attachments import Attachment, attachments_of
from complaints.adapters.sealed_files import CaseFiles
from complaints.application.audit import all_case_ids
from complaints.domain.values import Role
from complaints.web.runtime import Runtime
from tests.fixtures.pages import field_value, text_of

VALID_CODE = "91350100M000100Y43"
PAYLOAD = '<img src=x onerror=alert(1)><script>alert(1)</script>'
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)


@pytest.fixture
def store() -> str:
    """The form files through the same application on either store: SQLite is enough here."""
    return "sqlite"


def docx() -> bytes:
    """A minimal Word document: what makes it one is its [Content_Types].xml."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'))
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


class FilingPages:
    """An enterprise at the filing form, with a browser's cookies."""

    def __init__(self, client: FlaskClient, runtime: Runtime) -> None:
        self.client = client
        self.runtime = runtime
        self.page = ""

    def open(self, language: str = "en"):
        response = self.client.get(f"/file?lang={language}")
        assert response.status_code == 200
        self.page = response.get_data(as_text=True)
        return response

    def fields(self, **changes: Any) -> dict[str, Any]:
        fields = {
            "csrf_token": field_value(self.page, "csrf_token"),
            "submission_key": field_value(self.page, "submission_key"),
            "kept_attachments": field_value(self.page, "kept_attachments") or "",
            "category": "cross_border_trade",
            "enterprise_name": "ООО «Амур-Транзит»",
            "credit_code": VALID_CODE,
            "contact_person": "Ирина Смирнова",
            "phone": "+7 914 555 0101",
            "email": "irina@amur-transit.example",
            "language": "ru",
            "notify_by": ["email"],
            "subject": "Груз задержан на таможне две недели",
            "description": "Партия соевых бобов стоит на пункте пропуска с 3 ноября.",
            "happened_on": "2026-11-03",
            "happened_at_place": "Пункт пропуска Благовещенск – Хэйхэ",
        }
        fields.update(changes)
        return {key: value for key, value in fields.items() if value is not None}

    def send(self, files: list[tuple[bytes, str]] = (), **changes: Any):
        data = self.fields(**changes)
        data["attachments"] = [(io.BytesIO(content), name) for content, name in files]
        response = self.client.post("/file", data=data, content_type="multipart/form-data")
        if response.status_code != 303:
            self.page = response.get_data(as_text=True)
        return response

    def confirmation(self):
        return self.client.get("/file/filed")


@pytest.fixture
def pages(client: FlaskClient, runtime: Runtime) -> FilingPages:
    return FilingPages(client, runtime)


def filed_cases(runtime: Runtime) -> list:
    app = runtime.services.complaints
    return [app.load_case(case_id) for case_id in all_case_ids(app)]


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def shown(page: str, test_id: str) -> str:
    found = re.search(rf'data-testid="{test_id}">([^<]*)<', page)
    assert found, f"no {test_id} on the page"
    return unescape(found.group(1)).strip()


# -- the form ------------------------------------------------------------------------------


def test_the_form_offers_every_category_with_a_short_description_in_the_readers_language(
    pages: FilingPages, runtime: Runtime
):
    page = pages.open("ru").get_data(as_text=True)
    categories = runtime.services.routing.categories
    for code, entry in categories.items():
        assert f'value="{code}"' in page
        assert entry["labels"]["ru"] in unescape(page)
        assert entry["descriptions"]["ru"] in unescape(page)
    assert "Таможенное оформление и приграничная торговля" in unescape(page)
    # The messages' language starts as the page's.
    assert re.search(r'<option selected value="ru">|<option value="ru" selected>', page)


def test_the_page_explains_the_limits_on_files_and_who_sees_the_filers_details(pages):
    text = text_of(pages.open("en"))
    assert "Up to 5 files: PDF, JPEG, PNG, Word, Excel or PowerPoint. Each may be up to 10 MB" \
        in text
    assert "and all together up to 20 MB" in text
    assert "The department that handles the complaint" in text
    assert "None of them: it sees only that they are withheld" in text


# -- filing ----------------------------------------------------------------------------------


def test_a_complete_form_files_one_case_with_what_was_typed(pages, runtime):
    pages.open("ru")
    response = pages.send(confidential="y")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/file/filed")

    [case] = filed_cases(runtime)
    assert case.channel == "web"
    assert case.category == "cross_border_trade"
    assert case.subject == "Груз задержан на таможне две недели"
    assert case.happened_on == "2026-11-03"
    assert case.happened_at_place == "Пункт пропуска Благовещенск – Хэйхэ"
    assert case.confidential is True and case.anonymous is False
    assert case.filer.as_record() == {
        "kind": "enterprise",
        "enterprise_name": "ООО «Амур-Транзит»",
        "credit_code": VALID_CODE,
        "contact_person": "Ирина Смирнова",
        "phone": "+7 914 555 0101",
        "email": "irina@amur-transit.example",
        "language": "ru",
        "notify_by": ["email"],
    }


def test_the_confirmation_shows_the_reference_and_the_access_code_once(pages, runtime):
    pages.open("en")
    pages.send()
    first = pages.confirmation()
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "private, no-store"
    page = first.get_data(as_text=True)
    reference, code = shown(page, "reference"), shown(page, "access-code")
    assert re.fullmatch(r"HY-\d{4}-\d{6}", reference)
    assert "Write both down now" in text_of(first)
    assert f'href="/track?reference={reference}"' in page
    # The code opens the case: it is the real one.
    principal = runtime.services.complaints.authenticate_filer(reference, code)
    assert principal.role is Role.FILER

    again = pages.confirmation()
    assert again.status_code == 200
    assert code not in again.get_data(as_text=True)
    assert reference not in again.get_data(as_text=True)
    assert "The access code was shown once" in text_of(again)


def test_a_webhook_filer_is_given_the_signing_key_once(pages):
    pages.open("en")
    pages.send(notify_by=["webhook"], webhook_url="https://erp.amur-transit.example/huiyin")
    page = pages.confirmation().get_data(as_text=True)
    assert re.fullmatch(r"[A-Za-z0-9_-]{20,}", shown(page, "webhook-secret"))
    assert 'data-testid="webhook-secret"' not in pages.confirmation().get_data(as_text=True)


def test_a_double_submit_files_one_case_and_lands_on_the_same_confirmation(pages, runtime):
    pages.open("en")
    data = pages.fields()
    first = pages.client.post("/file", data=dict(data), content_type="multipart/form-data")
    one = shown(pages.confirmation().get_data(as_text=True), "access-code")
    second = pages.client.post("/file", data=dict(data), content_type="multipart/form-data")
    two = pages.confirmation().get_data(as_text=True)
    assert first.status_code == second.status_code == 303
    assert shown(two, "access-code") == one
    assert len(filed_cases(runtime)) == 1


def test_the_same_form_changed_after_filing_says_so_then_files_anew(pages, runtime):
    pages.open("en")
    pages.send()
    changed = pages.send(subject="A different matter")
    assert changed.status_code == 422
    assert "This form was sent already and filed a case" in text_of(changed)
    assert len(filed_cases(runtime)) == 1
    assert pages.send(subject="A different matter").status_code == 303  # a fresh key now
    assert len(filed_cases(runtime)) == 2


def test_a_form_without_its_csrf_token_is_refused(pages, runtime):
    pages.open("en")
    response = pages.send(csrf_token=None)
    assert response.status_code == 400
    assert "The form could not be sent" in text_of(response)
    assert filed_cases(runtime) == []


# -- checks on the server, beside each field -------------------------------------------------


def test_problems_are_shown_beside_their_fields_and_what_was_typed_is_kept(pages, runtime):
    pages.open("en")
    response = pages.send(category=None, subject="", email="not-an-address", phone="",
                          happened_on="2999-01-01", description=PAYLOAD)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert page.startswith("<!doctype html>") and "<title>Error: File a complaint" in page
    for field, message in (
        ("category", "Choose what the complaint is about"),
        ("subject", "Say in a few words what the complaint is about"),
        ("email", "Enter an e-mail address such as name@example.com"),
        ("happened_on", "The date cannot be in the future"),
    ):
        beside = re.search(rf'id="{field}-error">(.*?)</p>', page, re.S)
        assert beside and message in unescape(beside.group(1)), field
        assert re.search(rf'<a href="#{field}">{re.escape(message)}', unescape(page)), field
        invalid = rf'id="{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{field}"'
        assert re.search(invalid, page) or field == "category", field
    assert field_value(page, "enterprise_name") == "ООО «Амур-Транзит»"
    assert field_value(page, "email") == "not-an-address"
    assert field_value(page, "happened_at_place") == "Пункт пропуска Благовещенск – Хэйхэ"
    assert "Партия" not in page  # the description was replaced by the payload…
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # …and comes back as text
    assert "<script>alert(1)" not in page
    assert filed_cases(runtime) == []


def test_a_phone_or_an_email_is_needed_to_reach_the_filer(pages):
    pages.open("en")
    response = pages.send(phone="", email="")
    assert response.status_code == 422
    assert "Give a phone number or an e-mail address, so that we can reach you" in text_of(response)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91350100M000100Y4", "A unified social credit code has 18 characters; this one has 17."),
        ("91350100M000100Y44", "The last character does not fit the others"),
        ("91350100M0001O0Y43", "this one has O."),
        ("913A0100M000100Y43", "Characters 3 to 8 of a credit code are digits"),
    ],
)
def test_a_wrong_credit_code_is_refused_beside_its_field(pages, runtime, code, message):
    pages.open("en")
    response = pages.send(credit_code=code)
    assert response.status_code == 422
    beside = re.search(r'id="credit_code-error">(.*?)</p>', response.get_data(as_text=True), re.S)
    assert beside and message in unescape(beside.group(1))
    assert filed_cases(runtime) == []


def test_a_credit_code_typed_in_small_letters_with_spaces_is_read_as_the_code(pages, runtime):
    pages.open("zh")
    assert pages.send(credit_code=" 9135 0100 m000 100y43 ").status_code == 303
    [case] = filed_cases(runtime)
    assert case.filer.credit_code == VALID_CODE


def test_the_credit_code_may_be_left_empty_for_an_enterprise_not_registered_yet(pages, runtime):
    pages.open("zh")
    assert pages.send(credit_code="", category="business_registration").status_code == 303
    [case] = filed_cases(runtime)
    assert case.filer.credit_code is None


def test_a_person_files_for_themselves_and_the_enterprise_fields_are_not_kept(pages, runtime):
    pages.open("zh")
    # A browser without the page's script sends the hidden enterprise fields as typed.
    response = pages.send(filer_kind="individual", person_name="李小红",
                          enterprise_name="不该保存", credit_code="bad", contact_person="王丽")
    assert response.status_code == 303
    [case] = filed_cases(runtime)
    record = case.filer.as_record()
    assert record["kind"] == "individual" and record["person_name"] == "李小红"
    assert not {"enterprise_name", "credit_code", "contact_person"} & set(record)


def test_a_person_must_give_their_name_and_an_enterprise_its_own(pages, runtime):
    pages.open("en")
    person = pages.send(filer_kind="individual", person_name="")
    beside = re.search(r'id="person_name-error">(.*?)</p>', person.get_data(as_text=True), re.S)
    pages.open("en")
    enterprise = pages.send(enterprise_name="", person_name="Someone")
    page = enterprise.get_data(as_text=True)

    assert person.status_code == enterprise.status_code == 422
    assert beside and "Enter your name" in unescape(beside.group(1))
    assert "Enter the name of the enterprise" in unescape(page)
    assert 'id="person_name-error"' not in page
    pages.open("en")
    assert pages.send(filer_kind="household").status_code == 422
    assert filed_cases(runtime) == []


# -- attachments ---------------------------------------------------------------------------


def test_files_are_kept_by_their_content_and_listed_on_the_case(pages, runtime, settings):
    pages.open("en")
    response = pages.send(files=[(PDF, "报关单.pdf"), (PNG, "photo.png"), (docx(), "letter.docx"),
                                 (PDF, "same bytes again.pdf")])
    assert response.status_code == 303
    [case] = filed_cases(runtime)
    kept = attachments_of(case.attachments)
    assert [(each.name, each.media_type, each.size) for each in kept] == [
        ("报关单.pdf", "application/pdf", len(PDF)),
        ("photo.png", "image/png", len(PNG)),
        ("letter.docx",
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document", len(docx())),
    ]
    digest = sha256_of(PDF)
    # Sealed with the case's key in the case's folder; the same bytes twice, one file.
    files = CaseFiles(settings.data_dir / "attachments")
    key = runtime.services.complaints.case_keys.data_key(case.id)
    assert b"".join(files.open(key, digest)) == PDF
    assert len(list(files.folder(case.id).iterdir())) == 3
    assert case.attachments[0] == (
        f"sha256:{digest};type=application/pdf;size={len(PDF)};name=报关单.pdf"
    )
    assert Attachment.parse(case.attachments[0]) == kept[0]
    left = settings.data_dir / "attachments"
    # The form's folder keeps only its note of the case it became, no document.
    assert not any(left.glob("incoming/*"))
    assert {path.name for path in left.glob("staging/*/*")} <= {".case", ".lock"}


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "invoice.pdf",
         "invoice.pdf is not a PDF, JPEG, PNG, Word, Excel or PowerPoint file."),
        (PNG, "scan.pdf", "scan.pdf does not contain what its name's ending says."),
        (b"MZ\x90\x00 an executable", "tool.exe",
         "tool.exe is not a PDF, JPEG, PNG, Word, Excel or PowerPoint file."),
        (b"", "empty.pdf", "empty.pdf is empty."),
    ],
)
def test_a_file_is_refused_by_its_content_beside_the_field(pages, runtime, content, name, message):
    pages.open("en")
    response = pages.send(files=[(content, name)])
    assert response.status_code == 422
    beside = re.search(r'id="attachments-error">(.*?)</div>', response.get_data(as_text=True),
                       re.S)
    assert beside and message in unescape(beside.group(1))
    assert filed_cases(runtime) == []


def test_a_file_over_ten_megabytes_is_refused_and_nothing_is_filed(pages, runtime):
    pages.open("ru")
    big = b"%PDF-1.7\n" + bytes(10 * 1024 * 1024)
    response = pages.send(files=[(big, "большой.pdf")])
    assert response.status_code == 422
    assert "Файл большой.pdf больше 10 МБ." in text_of(response)
    assert filed_cases(runtime) == []


def test_a_sixth_file_is_refused(pages, runtime):
    pages.open("en")
    files = [(PDF + bytes([number]), f"page-{number}.pdf") for number in range(6)]
    response = pages.send(files=files)
    assert "page-5.pdf was not attached: at most 5 files can be attached." in text_of(response)


def test_files_that_together_pass_the_total_limit_are_refused(pages, runtime):
    pages.open("en")
    nine = [(b"%PDF-1.7\n" + bytes([n]) * (9 * 1024 * 1024), f"part-{n}.pdf") for n in range(3)]
    first = pages.send(files=nine[:2], subject="")  # 18 MB: kept, while the subject is missing
    assert first.status_code == 422
    second = pages.send(files=nine[2:])
    assert second.status_code == 422
    assert "part-2.pdf was not attached: all the files together may be at most 20 MB." \
        in text_of(second)
    assert filed_cases(runtime) == []
    assert pages.send().status_code == 303  # the two kept files go with the case
    [case] = filed_cases(runtime)
    assert [each.name for each in attachments_of(case.attachments)] == ["part-0.pdf",
                                                                      "part-1.pdf"]


def test_files_sent_with_a_form_that_had_problems_are_kept_for_the_next_send(pages, runtime):
    pages.open("en")
    first = pages.send(files=[(PDF, "declaration.pdf"), (PNG, "photo.png")], subject="")
    assert first.status_code == 422
    assert "Already received:" in text_of(first)
    assert "declaration.pdf" in text_of(first)
    # The reader removes one file and sends the form again without choosing files anew.
    photo = sha256_of(PNG)
    data = pages.fields(subject="Груз задержан", remove_attachment=[photo])
    second = pages.client.post("/file", data=data, content_type="multipart/form-data")
    assert second.status_code == 303
    [case] = filed_cases(runtime)
    assert [each.name for each in attachments_of(case.attachments)] == ["declaration.pdf"]


def test_a_list_of_received_files_made_up_in_the_browser_is_ignored(pages, runtime):
    pages.open("en")
    made_up = ('["sha256:' + "ab" * 32 + ';type=application/pdf;size=10;name=other.pdf"]')
    assert pages.send(kept_attachments=made_up).status_code == 303
    [case] = filed_cases(runtime)
    assert case.attachments == []


def test_the_form_takes_files_beyond_the_api_request_limit_which_stays_as_it_was(
    pages, runtime, client
):
    # The tests' request limit is 64 KB; the form takes its files on top of it.
    pages.open("en")
    photo = b"\xff\xd8\xff\xe0" + bytes(2 * 1024 * 1024)
    assert pages.send(files=[(photo, "photo.jpg")]).status_code == 303
    [case] = filed_cases(runtime)
    assert attachments_of(case.attachments)[0].media_type == "image/jpeg"
    api = client.post("/api/v1/cases", data=b"{" + b" " * 100_000 + b"}",
                      content_type="application/json")
    assert api.status_code == 413


def test_a_request_beyond_the_forms_limit_gets_the_413_page(pages, app: Flask):
    pages.open("en")
    limit = app.config["MAX_CONTENT_LENGTH"] + 20 * 1024 * 1024
    too_big = b"%PDF-1.7\n" + bytes(limit)
    response = pages.send(files=[(too_big, "huge.pdf")])
    assert response.status_code == 413
    assert "What you sent is too large" in text_of(response)
