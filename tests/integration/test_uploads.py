"""Uploads: staged per form until a case is filed, checked by their content before they are
written, and removed once no case refers to them; names that cannot break a download."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import re
import threading
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask.testing import FlaskClient

from complaints import cli, processes
from complaints.adapters.attachment_sweep import referenced_files
from complaints.adapters.attachments import AttachmentStore, attachments_of
from complaints.adapters.sealed_files import CaseFiles
from complaints.application.audit import all_case_ids
from complaints.application.principals import Principal
from complaints.domain.values import Role
from complaints.importing.importer import import_file
from complaints.importing.mapping import load_mapping, shipped_mapping
from complaints.settings import Settings
from complaints.web.identity import PUBLIC_FILER
from complaints.web.runtime import Runtime
from tests.fixtures.filing import filing_command
from tests.fixtures.pages import field_value, text_of
from tests.fixtures.samples import CFPB_SAMPLE
from tests.fixtures.stores import STORES, TEST_KEK, settings_for

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
VALID_CODE = "91350100M000100Y43"
INTAKE = Principal(actor_id="intake-wang", role=Role.INTAKE)
HANDLER = Principal(actor_id="handler-tax-li", role=Role.HANDLER, department="TAX")
LATER = timedelta(days=2)


@pytest.fixture
def store() -> str:
    return "sqlite"


@pytest.fixture
def settings(store: str, request: pytest.FixtureRequest, tmp_path) -> Settings:
    # A small staging quota, so that filling it takes a few files.
    url = request.getfixturevalue("postgres_url") if store == "postgresql" else ""
    return settings_for(store, str(tmp_path), url, HUIYIN_LOG_LEVEL="WARNING",
                        HUIYIN_MAX_REQUEST_BYTES="65536",
                        HUIYIN_UPLOAD_STAGING_BYTES=str(3 * 1024 * 1024))


def office(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A Word document holding `entries` beside what makes it one."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'))
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


class Form:
    """One browser at the filing form: the form's hidden fields carried from send to send."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.page = client.get("/file?lang=en").get_data(as_text=True)

    def send(self, files: list[tuple[bytes, str]] = (), **changes: Any):
        data = {
            "csrf_token": field_value(self.page, "csrf_token"),
            "submission_key": field_value(self.page, "submission_key"),
            "kept_attachments": field_value(self.page, "kept_attachments") or "",
            "category": "tax", "enterprise_name": "黑河市远东商贸有限公司",
            "credit_code": VALID_CODE, "phone": "+86 456 823 1234", "language": "zh",
            "subject": "出口退税三个月未到账", "description": "至今未到账。",
            **changes,
        }
        data["attachments"] = [(io.BytesIO(content), name) for content, name in files]
        response = self.client.post("/file", data=data, content_type="multipart/form-data")
        if response.status_code != 303:
            self.page = response.get_data(as_text=True)
        return response


def attachments_dir(settings: Settings) -> Path:
    return settings.data_dir / "attachments"


def stored(settings: Settings) -> set[str]:
    """The files kept in clear by versions before sealing (what older cases may refer to)."""
    root = attachments_dir(settings)
    return {path.name for path in root.glob("[0-9a-f][0-9a-f]/*") if path.is_file()}


def keep_in_clear(settings: Settings, content: bytes, name: str):
    """A file as versions before sealing kept it: in clear, under its SHA-256."""
    found = attachments_of([f"sha256:{hashlib.sha256(content).hexdigest()};"
                            f"type=application/pdf;size={len(content)};name={name}"])[0]
    path = AttachmentStore(attachments_dir(settings)).path_of(found.sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return found


def sealed(settings: Settings) -> list[Path]:
    """The files sealed into their cases' folders."""
    return [path for path in (attachments_dir(settings) / "cases").glob("*/*") if path.is_file()]


def case_holds(runtime: Runtime, case_id, sha256: str) -> bool:
    key = runtime.services.complaints.case_keys.data_key(case_id)
    return CaseFiles(attachments_dir(runtime.services.settings)).holds(key, sha256)


def staged(settings: Settings) -> list[Path]:
    return [path for path in (attachments_dir(settings) / "staging").glob("*/*")
            if path.is_file() and not path.name.startswith(".")]


def every_file(settings: Settings) -> list[Path]:
    root = attachments_dir(settings)
    return [path for path in root.rglob("*") if path.is_file() and path.name != ".lock"]


def cases(runtime: Runtime) -> list:
    app = runtime.services.complaints
    return [app.load_case(case_id) for case_id in all_case_ids(app)]


def sweep_later(settings: Settings, after: timedelta = LATER):
    with time_machine.travel(datetime.now().astimezone() + after, tick=False):
        return processes.sweep_attachments(settings)


# -- staging -------------------------------------------------------------------------------


def test_files_sent_with_a_form_that_fails_are_staged_not_stored(client, runtime, settings):
    form = Form(client)
    failed = form.send(files=[(PDF, "申报单.pdf")], subject="")
    assert failed.status_code == 422
    assert "申报单.pdf" in text_of(failed)  # kept for the next send, as before
    assert stored(settings) == set() and sealed(settings) == []
    [waiting] = staged(settings)
    assert PDF not in waiting.read_bytes()  # sealed with the form's own key
    assert form.send().status_code == 303  # sent again without choosing the file anew
    [case] = cases(runtime)
    [attachment] = attachments_of(case.attachments)
    assert case_holds(runtime, case.id, attachment.sha256) and len(sealed(settings)) == 1
    assert staged(settings) == []  # the staging area of a filed form is emptied


def test_a_file_removed_from_a_failed_form_leaves_the_staging_area(client, runtime, settings):
    form = Form(client)
    form.send(files=[(PDF, "a.pdf"), (PNG, "b.png")], subject="")
    assert len(staged(settings)) == 2
    pdf = hashlib.sha256(PDF).hexdigest()
    assert form.send(subject="", remove_attachment=[pdf]).status_code == 422
    assert len(staged(settings)) == 1
    assert form.send().status_code == 303
    [case] = cases(runtime)
    assert [each.name for each in attachments_of(case.attachments)] == ["b.png"]


def test_a_form_sent_again_with_an_older_list_cannot_pile_up_files(client, runtime, settings):
    form = Form(client)
    form.send(files=[(PDF, "a.pdf")], subject="")
    older = field_value(form.page, "kept_attachments")
    form.send(files=[(PNG, "b.png")], subject="")
    form.send(files=[(PDF + b"c", "c.pdf")], subject="", kept_attachments=older)
    assert len(staged(settings)) == 2  # a.pdf and c.pdf; b.png left with the list it was on


def test_a_refused_file_is_never_written(client, runtime, settings):
    form = Form(client)
    too_large = b"%PDF-1.7\n" + bytes(10 * 1024 * 1024)
    response = form.send(files=[(too_large, "big.pdf"), (b"MZ\x90\x00", "tool.pdf")])
    assert response.status_code == 422
    assert "big.pdf is larger than 10 MB." in text_of(response)
    assert not attachments_dir(settings).exists()  # not even a folder to write into


def test_the_staging_area_has_a_quota_for_everyone_together(client, runtime, settings):
    # The tests' quota is 3 MB: two strangers' forms of 1.2 MB each fit, a third does not.
    part = b"%PDF-1.7\n" + bytes(1_200_000)
    for number in range(2):
        assert Form(client).send(files=[(part + bytes([number]), "p.pdf")],
                                 subject="").status_code == 422
    third = Form(client).send(files=[(part + b"x", "third.pdf")], subject="")
    assert "third.pdf could not be received now" in text_of(third)
    assert len(staged(settings)) == 2
    assert sum(path.stat().st_size for path in staged(settings)) <= 3 * 1024 * 1024


def test_files_of_a_form_left_too_long_are_asked_for_again(client, runtime, settings):
    first = Form(client)
    first.send(files=[(PDF, "mine.pdf")], subject="")
    kept = field_value(first.page, "kept_attachments")
    # The staged file is gone (swept): the signed list alone attaches nothing.
    sweep_later(settings)
    second = Form(client)
    response = second.send(kept_attachments=kept)
    assert response.status_code == 422
    assert "mine.pdf was received too long ago" in text_of(response)
    assert cases(runtime) == []


# -- what a filing may refer to ------------------------------------------------------------


def test_the_api_refuses_a_reference_to_a_stored_file_it_did_not_upload(
    client, runtime, settings, filer, assert_error
):
    mine = keep_in_clear(settings, PDF, "someone's.pdf")
    reply = client.post("/api/v1/cases", json=filer.submission(attachments=[mine.reference]))
    body = assert_error(reply, 422)
    assert "attachments" in str(body["details"])
    assert cases(runtime) == []


@pytest.mark.parametrize("reference", [
    "sha256:" + "ab" * 32 + ";type=application/pdf;size=10;name=a\r\nSet-Cookie: x=1.pdf",
    "sha256:" + "AB" * 32 + ";type=application/pdf;size=10;name=a.pdf",
    "sha256:" + "ab" * 31 + ";type=application/pdf;size=10;name=a.pdf",
    "sha256:" + "ab" * 32 + ";type=text/html;size=10;name=a.pdf",
    "sha256:" + "ab" * 32 + ";type=application/pdf;size=10;name=../../etc/passwd",
    "paper file\nno. 12",
    "box 7\x00",
])
def test_attachment_references_are_checked_at_filing(client, runtime, filer, assert_error,
                                                     reference):
    reply = client.post("/api/v1/cases", json=filer.submission(attachments=[reference]))
    assert_error(reply, 422)
    assert cases(runtime) == []


def test_a_plain_reference_to_a_paper_document_is_still_taken(client, runtime, filer):
    case = filer.file_case(attachments=["信函原件，档案盒 7"])
    assert case.reference


def test_a_stored_name_with_a_line_break_downloads_safely(client, runtime, settings):
    # A case recorded before names were checked: its name holds CR/LF.
    app = runtime.services.complaints
    document = keep_in_clear(settings, PDF, "scan.pdf")  # filed before files were sealed
    reference = document.reference.replace("name=scan.pdf", "name=a\r\nSet-Cookie: x=1.pdf")
    filing = app.file_case(PUBLIC_FILER, filing_command({
        "channel": "web", "category": "tax", "subject": "s", "description": "d",
        "filer": {"enterprise_name": "远东商贸", "phone": "+86 456 823 1234"},
        "attachments": [reference]}))
    page = client.get("/track?lang=en").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/track", data={"csrf_token": token, "reference": filing.reference,
                                "access_code": filing.access_code})
    download = client.get(f"/track/attachments/{document.sha256}")
    assert download.status_code == 200
    disposition = download.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    assert not any(cookie.startswith("x=") for cookie in download.headers.getlist("Set-Cookie"))
    assert download.data == PDF


# -- Office files that unpack out of proportion -----------------------------------------------


def test_an_office_file_that_unpacks_out_of_proportion_is_refused(client, runtime, settings):
    bomb = office({"word/document.xml": bytes(60 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024
    response = Form(client).send(files=[(bomb, "report.docx")])
    assert response.status_code == 422
    assert "report.docx unpacks to far more than its size" in text_of(response)
    assert cases(runtime) == [] and every_file(settings) == []


def test_an_office_file_with_too_many_parts_is_refused(client, runtime, settings):
    many = office({f"word/media/p{number}.xml": b"<p/>" for number in range(5000)},
                  compression=zipfile.ZIP_STORED)
    response = Form(client).send(files=[(many, "many.docx")])
    assert response.status_code == 422
    assert "many.docx unpacks to far more than its size" in text_of(response)


def test_an_ordinary_office_file_is_taken(client, runtime, settings):
    ordinary = office({"word/document.xml": ("<w:document>" + "合同条款 " * 20_000
                                             + "</w:document>").encode()})
    assert Form(client).send(files=[(ordinary, "合同.docx")]).status_code == 303


# -- the sweep -----------------------------------------------------------------------------


@pytest.mark.parametrize("store", STORES)
def test_the_sweep_removes_expired_staging_and_unreferenced_files_only(
    client, runtime, settings
):
    abandoned = Form(client)
    abandoned.send(files=[(PNG, "left.png")], subject="")
    orphan = keep_in_clear(settings, b"%PDF-1.7\norphan", "orphan.pdf")
    filed = Form(client)
    assert filed.send(files=[(PDF, "kept.pdf")]).status_code == 303
    [case] = cases(runtime)
    [kept] = attachments_of(case.attachments)

    assert processes.sweep_attachments(settings)["staging"] == 0  # nothing expired yet
    assert len(staged(settings)) == 1 and orphan.sha256 in stored(settings)
    swept = sweep_later(settings)
    # The abandoned form's folder, and the filed form's (its note of the case it went to).
    assert (swept["staging"], swept["unreferenced"], swept["erased"]) == (2, 1, 0)
    assert staged(settings) == []
    assert stored(settings) == set()
    assert case_holds(runtime, case.id, kept.sha256)


@pytest.mark.parametrize("store", STORES)
def test_a_case_filed_through_the_api_or_imported_keeps_its_documents(
    client, runtime, settings, filer, tmp_path
):
    app = runtime.services.complaints
    by_api = filer.file_case(category="tax")
    rows = tmp_path / "rows.csv"
    with CFPB_SAMPLE.open(encoding="utf-8-sig", newline="") as source:
        reader = csv.DictReader(source)
        header, first = reader.fieldnames, list(itertools.islice(reader, 60))
    with rows.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, header)
        writer.writeheader()
        writer.writerows(first)
    import_file(app, rows, load_mapping(shipped_mapping("cfpb-2023"), runtime.services.routing))
    imported = next(case for case in cases(runtime) if case.reference != by_api.reference
                    and case.status in ("filed", "accepted", "assigned"))

    sent = []
    for number, case_id in enumerate([app.resolve_case_id(by_api.reference), imported.id]):
        case = app.load_case(case_id)
        if case.status == "filed":
            app.accept_case(INTAKE, case_id)
        if app.load_case(case_id).status == "accepted":
            app.assign_case(INTAKE, case_id)
        lead = app.load_case(case_id).lead_department
        handler = Principal(actor_id=f"handler-{lead}", role=Role.HANDLER, department=lead)
        app.request_information(handler, case_id, ["盖章的申报单"])
        filer_principal = Principal(actor_id=f"filer:{case.reference}", role=Role.FILER,
                                    case_id=case_id)
        sent.append(supply_through_the_page(client, app, case, filer_principal,
                                            PDF + bytes([number])))
    # The sweep reads the events that carry attachments: they agree with the cases whole.
    assert referenced_files(app) == {each.sha256 for case in cases(runtime)
                                     for each in attachments_of(case.attachments)}
    swept = sweep_later(settings, timedelta(days=30))
    assert (swept["unreferenced"], swept["erased"]) == (0, 0)
    assert len(sealed(settings)) == len(sent) == 2
    for case_id, sha256 in zip((app.resolve_case_id(by_api.reference), imported.id), sent,
                               strict=True):
        assert [each.sha256 for each in attachments_of(app.load_case(case_id).attachments)]
        assert case_holds(runtime, case_id, sha256)


def supply_through_the_page(client, app, case, principal, content: bytes) -> str:
    """The filer answers on the tracking page with one document; its SHA-256."""
    from complaints.application.access_codes import derive_access_code

    code = derive_access_code(app.secret_key, case.id)
    page = client.get("/track?lang=en").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert client.post("/track", data={"csrf_token": token, "reference": case.reference,
                                       "access_code": code}).status_code == 303
    page = client.get(f"/track/{case.reference}").get_data(as_text=True)
    token = re.search(r'name="[\w-]*csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post(f"/track/{case.reference}/information", data={
        "csrf_token": token, "information-content": "附上申报单。",
        "information-attachments": [(io.BytesIO(content), "申报单.pdf")]},
        content_type="multipart/form-data")
    assert answer.status_code == 303, text_of(answer)
    found = attachments_of(app.load_case(case.id).attachments)
    return found[-1].sha256


def test_a_failed_answer_on_the_tracking_page_stages_its_file(client, runtime, settings, filer):
    app = runtime.services.complaints
    filed = filer.file_case()
    case = app.load_case(app.resolve_case_id(filed.reference))
    from complaints.application.access_codes import derive_access_code

    page = client.get("/track?lang=en").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/track", data={"csrf_token": token, "reference": case.reference,
                                "access_code": derive_access_code(app.secret_key, case.id)})
    page = client.get(f"/track/{case.reference}").get_data(as_text=True)
    token = re.search(r'name="[\w-]*csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post(f"/track/{case.reference}/information", data={
        "csrf_token": token, "information-content": "",
        "information-attachments": [(io.BytesIO(PDF), "a.pdf")]},
        content_type="multipart/form-data")
    assert sealed(settings) == []
    assert len(staged(settings)) == 1


def test_the_command_line_sweeps(client, settings, monkeypatch, capsys):
    Form(client).send(files=[(PNG, "left.png")], subject="")
    monkeypatch.setenv("HUIYIN_KEK", TEST_KEK)
    monkeypatch.setenv("HUIYIN_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("HUIYIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HUIYIN_DATABASE_URL", "")
    with time_machine.travel(datetime.now().astimezone() + LATER, tick=False):
        assert cli.main(["attachments", "sweep"]) == 0
    assert "1 staged upload(s) expired" in capsys.readouterr().out
    assert staged(settings) == []


def test_the_watchdog_sweeps_uploads_as_it_runs(client, settings):
    Form(client).send(files=[(PNG, "left.png")], subject="")
    assert staged(settings)
    stop = threading.Event()
    with time_machine.travel(datetime.now().astimezone() + LATER, tick=True):
        worker = threading.Thread(target=processes.run_watchdog, args=(settings,),
                                  kwargs={"stop": stop, "interval": 0.05})
        worker.start()
        try:
            for _ in range(400):
                if not staged(settings):
                    break
                stop.wait(0.05)
        finally:
            stop.set()
            worker.join()
    assert staged(settings) == []
