"""Mailboxes and names of the departments, the intake desk and the supervisor, from data/.

A city's own catalogue (HUIYIN_CATALOGUE_FILE, shared.catalogue) replaces the departments:
their names are the catalogue's, their mailboxes its own or, for a department it gives none,
the packaged one of the same code (a department with neither is not told)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from shared.catalogue import Catalogue

log = logging.getLogger(__name__)

MAILBOXES_FILE = Path(__file__).resolve().parents[1] / "data" / "mailboxes.json"


@dataclass(frozen=True)
class Directory:
    supervisor: str
    supervising_department: str
    intake: str
    intake_labels: Mapping[str, str]
    departments: Mapping[str, Mapping[str, Any]]

    @classmethod
    def load(cls, path: Path = MAILBOXES_FILE) -> Directory:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            supervisor=raw["supervisor"]["mailbox"],
            supervising_department=raw["supervisor"]["department"],
            intake=raw["intake"]["mailbox"],
            intake_labels=raw["intake"]["labels"],
            departments=raw["departments"],
        )

    def with_catalogue(self, catalogue: Catalogue | None) -> Directory:
        """The directory with the departments of a city's catalogue; itself for None."""
        if catalogue is None:
            return self
        departments = {}
        for code, entry in catalogue.departments.items():
            mailbox = entry.get("mailbox") or self.departments.get(code, {}).get("mailbox")
            departments[code] = {"labels": dict(entry["labels"]),
                                 **({"mailbox": mailbox} if mailbox else {})}
        return replace(self, supervising_department=catalogue.supervising_department,
                       departments=departments)

    def department(self, code: str) -> str | None:
        entry = self.departments.get(code)
        if entry is None or "mailbox" not in entry:
            log.warning("no mailbox for department %s; it is not told", code,
                        extra={"department": code})
            return None
        return entry["mailbox"]

    def intake_label(self, language: str) -> str:
        """The intake desk's name in `language`, its Chinese name when it has none."""
        return self.intake_labels.get(language) or self.intake_labels["zh"]

    def label(self, code: str | None, language: str) -> str:
        """The department's name in `language`, or its code when it has none."""
        entry = self.departments.get(code or "")
        return entry["labels"].get(language, code) if entry else (code or "")
