"""The JSON API: flask-smorest blueprints under /api/v1 (and /healthz, /readyz, /metrics), their
schemas, and one OpenAPI document of them all at /openapi.json, browsable at /docs."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from complaints.web import docs
from complaints.web.api import (
    auth,
    cases,
    commands,
    documents,
    hot_issues,
    knowledge,
    operations,
    queues,
    scorecards,
    similar,
    suggestions,
)
from complaints.web.api.links import CaseLinksPlugin
from complaints.web.api.schemas.errors import ErrorSchema
from complaints.web.api.schemas.fields import Timestamp
from complaints.web.api.schemas.filing import FilerKindsPlugin
from complaints.web.api.schemas.scorecards import FiguresPlugin
from complaints.web.identity import SECURITY_SCHEME

API_DESCRIPTION = """Huiyin (回音) takes the complaints enterprises file about their business
environment and follows each one to its close. Staff sign in at `POST /api/v1/auth/token`,
filers at `POST /api/v1/auth/filer-token` with their reference and access code; send the token
as `Authorization: Bearer …`. Every error answers `{"error", "message", "details"}`."""

# In this order in the OpenAPI document.
BLUEPRINTS = (auth.blp, cases.blp, documents.blp, commands.blp, queues.blp, similar.blp,
              operations.blp, scorecards.blp, hot_issues.blp, knowledge.blp, suggestions.blp)


class HuiyinApi(Api):
    """flask-smorest's Api, documenting our error shape; web/errors.py answers every error."""

    ERROR_SCHEMA = ErrorSchema


def install(app: Flask) -> None:
    """The API's endpoints and their document. Before `errors.register_error_handlers`, so that
    our handlers, not the ones flask-smorest registers, answer every error."""
    app.config.update(
        API_TITLE="Huiyin complaints API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=docs.ASSETS_URL,
        API_SPEC_OPTIONS={"info": {"description": API_DESCRIPTION}},
    )
    api = HuiyinApi(app, spec_kwargs={"extra_plugins": [CaseLinksPlugin(), FilerKindsPlugin(),
                                                          FiguresPlugin()]})
    api.register_field(Timestamp, "string", "date-time")
    api.spec.components.security_scheme(
        SECURITY_SCHEME, {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    # In the app's context: the document's enums of categories and departments are read from
    # the routing table this app was started with, the one its validators check against.
    with app.app_context():
        for blueprint in BLUEPRINTS:
            api.register_blueprint(blueprint)
