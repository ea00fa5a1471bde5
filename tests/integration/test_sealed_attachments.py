"""Attachments at rest: a form's files sealed with a key only the form carries, a filed case's
sealed with the case's key; nothing of their content, names or digests in clear; opened for
those who may read the case; gone, and refused cleanly, once the case's data is erased."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest
import time_machine

from complaints import processes
from complaints.adapters.sealed_files import CaseFiles
from complaints.application.principals import Principal
from complaints.domain.case import case_id_for
from complaints.domain.values import Role
from tests.fixtures.stores import STORES
from tests.integration.filer_pages import FilingForm, every_file, found_in, track

pytestmark = pytest.mark.parametrize("store", STORES)

CONTENT_MARKER = b"CONTENT-MARKER-4e1f9c"
NAME_MARKER = "NAMEMARK7d2"
NAME = f"盖章申报单-{NAME_MARKER}.pdf"
DOCUMENT = b"%PDF-1.7\n" + CONTENT_MARKER * 3000 + b"\n%%EOF\n"  # about 60 KB: two chunks
SUPERVISOR = Principal(actor_id="supervisor-zhao", role=Role.SUPERVISOR)


def markers() -> tuple[bytes, ...]:
    digest = hashlib.sha256(DOCUMENT).hexdigest()
    return CONTENT_MARKER, NAME_MARKER.encode(), NAME.encode(), digest.encode()


def file_with_document(client) -> tuple[str, str]:
    form = FilingForm(client)
    assert form.send(files=[(DOCUMENT, NAME)], subject="").status_code == 422  # staged first
    assert form.send().status_code == 303
    return form.filed()


def test_nothing_of_a_document_lies_in_clear_staged_or_filed(client, runtime, settings):
    root = settings.attachments_dir
    form = FilingForm(client)
    assert form.send(files=[(DOCUMENT, NAME)], subject="").status_code == 422
    assert every_file(root / "staging")
    assert found_in(root, *markers()) == []
    assert form.send().status_code == 303
    reference, _ = form.filed()

    case_id = case_id_for(reference)
    assert [path.parent.name for path in every_file(root / "cases")] == [case_id.hex]
    assert found_in(root, *markers()) == []
    assert [path for path in every_file(root / "staging") if not path.name.startswith(".")] == []


def test_a_document_downloads_whole_to_its_filer_and_to_staff(client, runtime, staff, settings):
    reference, code = file_with_document(client)
    track(client, reference, code)
    sha256 = hashlib.sha256(DOCUMENT).hexdigest()
    download = client.get(f"/track/attachments/{sha256}")
    assert download.status_code == 200
    assert download.data == DOCUMENT
    assert download.headers["Content-Length"] == str(len(DOCUMENT))
    assert NAME_MARKER in download.headers["Content-Disposition"]
    supervisor = staff.login("supervisor")
    by_api = supervisor.get(f"/api/v1/cases/{reference}/attachments/{sha256}")
    assert by_api.status_code == 200 and by_api.data == DOCUMENT


def test_an_erased_cases_documents_are_gone_and_refused_cleanly(
    client, runtime, staff, settings, assert_error
):
    reference, code = file_with_document(client)
    case_id = case_id_for(reference)
    files = CaseFiles(settings.attachments_dir)
    assert files.folder(case_id).is_dir()
    runtime.services.complaints.erase_personal_data(SUPERVISOR, case_id, "filer_request")

    assert not files.folder(case_id).exists()
    sha256 = hashlib.sha256(DOCUMENT).hexdigest()
    track(client, reference, code)
    page = client.get(f"/track/attachments/{sha256}?lang=en")
    assert page.status_code == 410
    assert "This was erased" in page.get_data(as_text=True)
    supervisor = staff.login("supervisor")
    body = assert_error(supervisor.get(f"/api/v1/cases/{reference}/attachments/{sha256}"), 410)
    assert "erased" in body["message"]
    filer_token = client.post("/api/v1/auth/filer-token",
                              json={"reference": reference, "access_code": code}).json
    filer_api = client.get(f"/api/v1/cases/{reference}/attachments/{sha256}",
                           headers={"Authorization": f"Bearer {filer_token['access_token']}"})
    assert_error(filer_api, 410)
    assert_error(supervisor.get(f"/api/v1/cases/{reference}/attachments/{'0' * 64}"), 410)
    with time_machine.travel(datetime.now().astimezone() + timedelta(days=2), tick=False):
        swept = processes.sweep_attachments(settings)
    assert swept["erased"] == 0  # the erasure took them already
    assert found_in(settings.attachments_dir, *markers()) == []


def test_the_sweep_removes_an_erased_cases_files_the_erasure_left(client, runtime, settings):
    reference, _ = file_with_document(client)
    case_id = case_id_for(reference)
    app = runtime.services.complaints
    app.on_erased = ()  # as if the process stopped between the erasure and the deletion
    app.erase_personal_data(SUPERVISOR, case_id, "filer_request")
    files = CaseFiles(settings.attachments_dir)
    assert files.folder(case_id).is_dir()
    kept, _ = file_with_document(client)

    swept = processes.sweep_attachments(settings)
    assert swept["erased"] == 1
    assert not files.folder(case_id).exists()
    assert files.folder(case_id_for(kept)).is_dir()  # a case with its key keeps its files


def test_a_form_sent_again_after_filing_keeps_its_documents(client, runtime, settings):
    form = FilingForm(client)
    assert form.send(files=[(DOCUMENT, NAME)], subject="").status_code == 422
    page = form.page
    assert form.send().status_code == 303
    first, _ = form.filed()
    form.page = page  # the browser's back button: the same form, sent again
    assert form.send().status_code == 303  # the same submission: answered again
    again, _ = form.filed()
    assert again == first
    form.page = page
    assert form.send(subject="另一件事").status_code == 422  # changed: a new submission is asked
    assert form.send(subject="另一件事").status_code == 303
    second, second_code = form.filed()
    assert second != first
    track(client, second, second_code)
    download = client.get(f"/track/attachments/{hashlib.sha256(DOCUMENT).hexdigest()}")
    assert download.status_code == 200 and download.data == DOCUMENT
    assert found_in(settings.attachments_dir, *markers()) == []
