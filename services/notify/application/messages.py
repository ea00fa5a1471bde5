"""Rendering a notice into words: Jinja2 templates per language, each a subject, body and SMS."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from notify.application import wording
from notify.application.directory import Directory
from notify.domain.policy import FILER, INTAKE, SUPERVISOR, Channel, Notice

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"
REDACTED = "••••"
# Fields that must never reach a stored text (the receipt lands in the case history).
SECRET_FIELDS = ("access_code",)


class RenderingError(ValueError):
    """The event's data does not fit the template (a field missing or of the wrong kind)."""


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str
    sms: str

    def text_for(self, channel: str) -> str:
        """What the recipient reads on `channel`: the short text by SMS, else subject and body."""
        if channel == Channel.SMS:
            return self.sms
        return f"{self.subject}\n\n{self.body}"


class MessageRenderer:
    def __init__(self, directory: Directory, public_url: str) -> None:
        self.directory = directory
        self.public_url = public_url.rstrip("/")
        self._environments: dict[str, jinja2.Environment] = {}

    def render(
        self, notice: Notice, data: Mapping[str, Any], *, redact_secrets: bool = False
    ) -> RenderedMessage:
        """The message for `notice`; `redact_secrets` hides secrets such as the access code."""
        environment = self._environments.get(notice.language)
        if environment is None:
            environment = _environment(notice.language, self.directory)
            self._environments[notice.language] = environment
        try:
            template = environment.get_template(f"{notice.language}/{notice.template}.txt")
            context = self._context(notice, data, redact_secrets)
            subject = _block(template, "subject", context).strip()
            body = _block(template, "body", context).strip() + "\n"
            sms = _block(template, "sms", context).strip() if "sms" in template.blocks else subject
        except (jinja2.TemplateError, KeyError, TypeError, ValueError) as error:
            raise RenderingError(
                f"{notice.language}/{notice.template} cannot be rendered: {error}"
            ) from None
        return RenderedMessage(" ".join(subject.split()), body, " ".join(sms.split()))

    def _context(self, notice: Notice, data: Mapping[str, Any], redact_secrets: bool) -> dict:
        case = data["case"]
        if redact_secrets:
            data = redacted(data)
        reference = case["reference"]
        return {
            "data": data,
            "case": case,
            "reference": reference,
            "addressee": self._addressee(notice, case),
            # The person greeted: an enterprise's contact, or the individual who filed.
            "contact_person": _person(case.get("filer") or {}),
            "tracking_url": f"{self.public_url}/track/{reference}",
            "public_url": self.public_url,
            # Who answers for a stage no department holds (accepting the case).
            "intake_desk": self.directory.intake_label(notice.language),
        }

    def _addressee(self, notice: Notice, case: Mapping[str, Any]) -> str:
        if notice.recipient == FILER:
            filer = case.get("filer") or {}
            return _person(filer) or filer.get("enterprise_name") or ""
        if notice.recipient == SUPERVISOR:
            return self.directory.label(self.directory.supervising_department, notice.language)
        if notice.recipient == INTAKE:
            return self.directory.intake_label(notice.language)
        return self.directory.label(notice.recipient.partition(":")[2], notice.language)


def _person(filer: Mapping[str, Any]) -> str:
    return filer.get("contact_person") or filer.get("person_name") or ""


def redacted(data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` with every secret field replaced by a placeholder."""
    return {**data, **{name: REDACTED for name in SECRET_FIELDS if name in data}}


def _block(template: jinja2.Template, name: str, context: dict[str, Any]) -> str:
    return "".join(template.blocks[name](template.new_context(context)))


def _environment(language: str, directory: Directory) -> jinja2.Environment:
    """One environment per language, its filters speaking that language."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain text: nothing here is HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # The templates ship with the code: compiled once, not checked on disk at each use.
        auto_reload=False,
    )
    environment.filters.update(
        date=lambda value: wording.format_date(value, language),
        datetime=lambda value: wording.format_datetime(value, language),
        outcome=lambda code: wording.OUTCOMES[language].get(code, code),
        contact_method=lambda code: wording.CONTACT_METHODS[language].get(code, code),
        department=lambda code: directory.label(code, language),
        departments=lambda codes: wording.join_list(
            (directory.label(code, language) for code in codes), language
        ),
        score=lambda value: wording.SCORES_ZH.get(int(value), str(value)),
        stage=lambda code: wording.STAGES[language].get(code, code),
        escalation_reason=lambda code: wording.ESCALATION_REASONS[language].get(code, code),
        provisional_note=lambda due, provisional: wording.provisional_note(
            due, language, bool(provisional)
        ),
        working_days=lambda count: wording.working_days(int(count), language),
    )
    return environment
