"""The knowledge base: entries kept by intake and supervisors, read and suggested to all staff."""

from __future__ import annotations

from datetime import datetime

from marshmallow import RAISE

from complaints.intelligence.knowledge import FINDER
from complaints.web.api.error_responses import documents_errors
from complaints.web.api.parsing import ApiBlueprint
from complaints.web.api.schemas.knowledge import (
    EntryArgsSchema,
    EntryListSchema,
    EntrySchema,
    EntryViewSchema,
    WithdrawalSchema,
)
from complaints.web.identity import current_principal
from complaints.web.runtime import runtime
from shared.locale import CITY_TIME

blp = ApiBlueprint(
    "knowledge",
    __name__,
    url_prefix="/api/v1/knowledge",
    description="Answers given again and again, kept as entries (question, answer, category, "
    "validity, source) and suggested for a caller's words, so that a question is answered at "
    "first contact (`POST /cases/{case}/first-contact-answer`).",
)


def suggested(text: str, limit: int) -> list[dict]:
    """The entries in force today nearest `text`, as the API and the pages show them."""
    entries = runtime().services.complaints.knowledge.entries(current_principal(), on=_today())
    return [{**found.entry.as_dict(), "score": found.score, "shared": list(found.shared)}
            for found in FINDER.suggest(entries, text, limit)]


@blp.route("", methods=["GET"])
@blp.arguments(EntryArgsSchema, location="query", arg_name="query", unknown=RAISE)
@blp.response(200, EntryListSchema)
@blp.needs_token
@documents_errors(blp, 401, 403, 422, 503)
def list_entries(query):
    """Entries, or those suggested for a caller's words

    Roles: every member of staff. With `text`: the entries in force today nearest it (TF-IDF
    over jieba's words, cosine), best first, each with its score and the words shared.
    Without: every entry not withdrawn (`withdrawn=true`: those too).
    """
    if query.get("text"):
        return {"items": suggested(query["text"], query["limit"])}
    base = runtime().services.complaints.knowledge
    entries = base.entries(current_principal(), withdrawn=query["withdrawn"])
    return {"items": [entry.as_dict() for entry in entries]}


@blp.route("", methods=["POST"])
@blp.arguments(EntrySchema, arg_name="entry")
@blp.response(201, EntryViewSchema)
@blp.needs_token
@documents_errors(blp, 400, 401, 403, 413, 415, 422, 503)
def add_entry(entry):
    """Add an entry

    Roles: intake and supervisor.
    """
    base = runtime().services.complaints.knowledge
    return base.add(current_principal(), **entry).as_dict()


@blp.route("/<entry_id>/revision", methods=["POST"])
@blp.arguments(EntrySchema, arg_name="entry")
@blp.response(200, EntryViewSchema)
@blp.needs_token
@documents_errors(blp, 400, 401, 403, 404, 409, 413, 415, 422, 503)
def revise_entry(entry, entry_id):
    """Revise an entry

    Roles: intake and supervisor. The whole entry, as it reads from now on; the book's history
    keeps every earlier wording. A withdrawn entry is not revised (409).
    """
    base = runtime().services.complaints.knowledge
    return base.revise(current_principal(), entry_id, **entry).as_dict()


@blp.route("/<entry_id>/withdrawal", methods=["POST"])
@blp.arguments(WithdrawalSchema, arg_name="body")
@blp.response(200, EntryViewSchema)
@blp.needs_token
@documents_errors(blp, 400, 401, 403, 404, 409, 413, 415, 422, 503)
def withdraw_entry(body, entry_id):
    """Withdraw an entry

    Roles: intake and supervisor. It is no longer suggested nor answered from; it stays in
    the book's history.
    """
    base = runtime().services.complaints.knowledge
    return base.withdraw(current_principal(), entry_id, body["reason"]).as_dict()


def _today():
    return datetime.now(CITY_TIME).date()
