"""One POST per command on a case: load the body → one application call → the new case view."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from marshmallow import Schema

from complaints.application.catalogue import CATALOGUE
from complaints.application.views import case_view
from complaints.web.api.cases import CASE_PARAMETER, etag
from complaints.web.api.error_responses import documents_errors
from complaints.web.api.parsing import ApiBlueprint
from complaints.web.api.schemas.cases import CaseSchema
from complaints.web.api.schemas.commands import (
    AssignmentSchema,
    CommandSchema,
    DuplicateSchema,
    ErasureSchema,
    ExtensionSchema,
    FirstContactSchema,
    FollowUpSchema,
    IfMatchHeaderSchema,
    InformationRequestSchema,
    InformationSchema,
    InvalidationSchema,
    LinkSchema,
    NoteSchema,
    RatingSchema,
    RectificationSchema,
    ReferralSchema,
    ReopeningSchema,
    ResponseSchema,
    ReviewConclusionSchema,
    TransferSchema,
    UndoDuplicateSchema,
    UnlinkSchema,
)
from complaints.web.identity import current_principal
from complaints.web.runtime import runtime

blp = ApiBlueprint(
    "commands",
    __name__,
    url_prefix="/api/v1/cases",
    description="Every step of a case, one command each. Each answers the case as it now is; "
    'send `If-Match: "<version>"` to refuse the step if the case changed meanwhile.',
)


@dataclass(frozen=True)
class Command:
    path: str
    name: str  # the command's name in the application's catalogue
    schema: type[Schema]
    summary: str
    about: str


COMMANDS = (
    Command("accept", "accept", CommandSchema, "Accept a case",
            "Confirms it is a business-environment matter and proposes the departments "
            "of the routing table."),
    Command("refer", "refer", ReferralSchema, "Refer a case elsewhere",
            "It is not ours: the filer is told where to go instead."),
    Command("assign", "assign", AssignmentSchema, "Assign a case",
            "Names the lead department (the proposed one unless given) and co-handlers."),
    Command("transfer", "transfer", TransferSchema, "Transfer a case",
            "The lead department sends it on to another department, or back to intake."),
    Command("information-requests", "request_information",
            InformationRequestSchema, "Ask the filer for information",
            "Everything missing, listed at once; the clock pauses."),
    Command("information", "supply_information", InformationSchema,
            "Supply the requested information", "The filer answers; the clock resumes."),
    Command("notes", "note_progress", NoteSchema, "Note progress",
            "An internal note, or a public update the filer sees."),
    Command("responses", "respond", ResponseSchema, "Reply to the filer",
            "The lead department's reply and its outcome."),
    Command("ratings", "rate", RatingSchema, "Rate the reply",
            "One rating per round; 1 or 2 is a bad review that must be re-checked."),
    Command("ratings/invalidate", "invalidate_rating",
            InvalidationSchema, "Rule a rating invalid or malicious",
            "It stays on record, out of the scores, and no longer holds the case open."),
    Command("review", "conclude_review", ReviewConclusionSchema,
            "Conclude the re-check of a bad review",
            "Upheld: rectification and a return visit follow. Not upheld: the loop ends."),
    Command("rectification", "rectify", RectificationSchema,
            "Record a rectification", "What the department changed after an upheld review."),
    Command("follow-up", "follow_up", FollowUpSchema,
            "Record the return visit", "Whether the filer is satisfied with the rectification."),
    Command("reopen", "reopen", ReopeningSchema, "Reopen a case",
            "A new round begins."),
    Command("close", "close", CommandSchema, "Close a case",
            "Only after a reply the filer can see, and once any bad review's loop is done."),
    Command("first-contact-answer", "answer_at_first_contact", FirstContactSchema,
            "Answer a caller at first contact",
            "A case intake just filed for a caller, answered on the spot with a knowledge base "
            "entry in force: replied at once, and counted as answered at first contact."),
    Command("links", "link", LinkSchema, "Link a case to a related one",
            "Both cases record the link; each reader sees it on both."),
    Command("links/undo", "unlink", UnlinkSchema, "Undo a link between two cases",
            "Both cases record the undoing, with the reason."),
    Command("duplicate", "mark_duplicate", DuplicateSchema,
            "Mark a case a duplicate of a primary",
            "The duplicate keeps its own filer, access and rating; the primary's reply "
            "answers it too (at once, if the primary has replied already). A duplicate is "
            "never a primary, and a primary never a duplicate. Reversible: `duplicate/undo`."),
    Command("duplicate/undo", "undo_duplicate", UndoDuplicateSchema,
            "Undo a duplicate mark",
            "The case stands on its own again; a reply it was given through the primary "
            "stays. Both cases record the undoing."),
    Command("deadline/extension", "extend_deadline", ExtensionSchema,
            "Extend the running stage's deadline",
            "Once per stage, by at most 15 working days, with a reason."),
    Command("personal-data/erasure", "erase_personal_data", ErasureSchema,
            "Erase the filer's personal data",
            "Crypto-shredding: the case's key is destroyed with the `PersonalDataErased` event, "
            "so every personal value (who filed, how to reach them, what they wrote, their "
            "documents) reads as null from then on, while the history, its hashes and the "
            "handling stay. Once per case. A case still open is erased only at the filer's "
            "request (`filer_request`), and goes on without any way to reach the filer."),
)  # fmt: skip


def _view_for(command: Command) -> Callable:
    def view(case: str, headers: dict, body: dict):
        principal = current_principal()
        complaints = runtime().services.complaints
        changed = complaints.give(
            command.name,
            principal,
            complaints.resolve_case_id(case),
            expected_version=headers.get("expected_version"),
            **body,
        )
        return case_view(changed, principal), etag(changed.version)

    view.__name__ = CATALOGUE[command.name].method
    view.__doc__ = None
    return view


def _register(command: Command) -> None:
    reach = CATALOGUE[command.name].rights
    roles = "; ".join(f"{role.value} ({reach[role].value})" for role in sorted(reach))
    view = _view_for(command)
    view = documents_errors(blp, 400, 401, 403, 404, 409, 413, 415, 422, 503)(view)
    view = blp.needs_token(view)
    view = blp.doc(summary=command.summary, description=f"Roles: {roles}. {command.about}")(view)
    view = blp.response(200, CaseSchema, headers={"ETag": {"schema": {"type": "string"}}})(view)
    # A body is optional only where every field of it is.
    needs_body = any(field.required for field in command.schema().fields.values())
    view = blp.arguments(command.schema, arg_name="body", required=needs_body)(view)
    view = blp.arguments(IfMatchHeaderSchema, location="headers", arg_name="headers")(view)
    blp.route(f"/<case>/{command.path}", methods=["POST"], parameters=[CASE_PARAMETER])(view)


for _command in COMMANDS:
    _register(_command)
