"""A filer on the pages, for the attachment and filer's copy tests: filing through the form with
documents, signing in to track the case, and what lies under the attachments directory."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from tests.fixtures.pages import field_value

CREDIT_CODE = "91350100M000100Y43"


class FilingForm:
    """One browser at the filing form: the form's hidden fields carried from send to send."""

    def __init__(self, client: FlaskClient, language: str = "en") -> None:
        self.client = client
        self.page = client.get(f"/file?lang={language}").get_data(as_text=True)

    def send(self, files: list[tuple[bytes, str]] = (), **changes: Any):
        data = {
            "csrf_token": field_value(self.page, "csrf_token"),
            "submission_key": field_value(self.page, "submission_key"),
            "kept_attachments": field_value(self.page, "kept_attachments") or "",
            "category": "tax", "enterprise_name": "黑河市远东商贸有限公司",
            "credit_code": CREDIT_CODE, "phone": "+86 456 823 1234", "language": "zh",
            "subject": "出口退税三个月未到账", "description": "至今未到账。",
            **changes,
        }
        data["attachments"] = [(io.BytesIO(content), name) for content, name in files]
        response = self.client.post("/file", data=data, content_type="multipart/form-data")
        if response.status_code != 303:
            self.page = response.get_data(as_text=True)
        return response

    def filed(self) -> tuple[str, str]:
        """The reference and access code the confirmation shows once."""
        page = self.client.get("/file/filed").get_data(as_text=True)
        reference = re.search(r'data-testid="reference">([^<]+)<', page).group(1)
        code = re.search(r'data-testid="access-code">([^<]+)<', page).group(1)
        return reference.strip(), code.strip()


def track(client: FlaskClient, reference: str, access_code: str) -> None:
    """Sign in on the tracking page as the case's filer."""
    page = client.get("/track?lang=en").get_data(as_text=True)
    reply = client.post("/track", data={"csrf_token": field_value(page, "csrf_token"),
                                        "reference": reference, "access_code": access_code})
    assert reply.status_code == 303


def every_file(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def found_in(root: Path, *markers: bytes) -> list[str]:
    """Where under `root` any marker lies in clear: in a file's bytes or in its path."""
    found = []
    for path in every_file(root):
        content = path.read_bytes()
        found += [f"{path}: {marker!r}" for marker in markers
                  if marker in content or marker in str(path).encode()]
    return found
