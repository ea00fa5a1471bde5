"""The running server's JSON API with the demo accounts: how browser tests set up the cases
whose pages are not the subject of the test."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import requests

from shared.installation import DEMO_PASSWORD_FILE

# Each installation makes its own at first run; the test servers are given this one instead,
# written where the installation keeps it, as an operator may choose theirs.
DEMO_PASSWORD = "browser-demo-password-2026"
CREDIT_CODE = "91350100M000100Y43"


def install_demo_password(data_dir: Path) -> None:
    """Write DEMO_PASSWORD where a demo installation in `data_dir` keeps its password."""
    data_dir.mkdir(parents=True, exist_ok=True)
    kept = os.open(data_dir / DEMO_PASSWORD_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(kept, "w") as file:
        file.write(DEMO_PASSWORD + "\n")


class DemoApi:
    def __init__(self, base: str) -> None:
        self.base = base
        self.tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        """A demo account's bearer token (`intake`, `supervisor`, `handler-TAX`, …), kept."""
        if username not in self.tokens:
            reply = requests.post(f"{self.base}/api/v1/auth/token", timeout=30,
                                  json={"username": username, "password": DEMO_PASSWORD})
            assert reply.status_code == 200, reply.text
            self.tokens[username] = reply.json()["access_token"]
        return self.tokens[username]

    def filer_token(self, reference: str, access_code: str) -> str:
        reply = requests.post(f"{self.base}/api/v1/auth/filer-token", timeout=30,
                              json={"reference": reference, "access_code": access_code})
        assert reply.status_code == 200, reply.text
        return reply.json()["access_token"]

    def post(self, path: str, token: str, body: dict | None = None) -> dict[str, Any]:
        reply = requests.post(f"{self.base}{path}", json=body or {}, timeout=30,
                              headers={"Authorization": f"Bearer {token}"})
        assert reply.ok, reply.text
        return reply.json()

    def file(self, username: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.post("/api/v1/cases", self.token(username), body)

    def act(self, username: str, reference: str, command: str,
            body: dict | None = None) -> dict[str, Any]:
        """One command (accept, assign, responses, …) by a demo account."""
        return self.post(f"/api/v1/cases/{reference}/{command}", self.token(username), body)

    def filed_case(self, subject: str = "出口退税三个月未到账") -> str:
        return self.file("intake", {
            "channel": "hotline", "category": "tax", "subject": subject,
            "description": "我公司一月申报出口退税，至今未到账，窗口称系统问题。",
            "filer": {"enterprise_name": "黑河市远东商贸有限公司", "credit_code": CREDIT_CODE,
                      "contact_person": "王丽", "phone": "+86 456 823 1234"},
        })["reference"]

    def assigned_case(self, subject: str = "出口退税三个月未到账") -> str:
        reference = self.filed_case(subject)
        self.act("intake", reference, "accept")
        self.act("intake", reference, "assign")
        return reference
