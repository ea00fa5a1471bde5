"""The app factory: settings → services → read side → API. Called once per worker process."""

from __future__ import annotations

import logging
import os

from flask import Flask
from flask_smorest import Api

from complaints.bootstrap import build_services
from complaints.readmodels.case_index import open_case_index
from complaints.web import (
    auth,
    cases,
    commands,
    docs,
    operations,
    pages,
    queues,
    request_hooks,
    scorecards,
)
from complaints.web.errors import register_error_handlers
from complaints.web.identity import SECURITY_SCHEME
from complaints.web.metrics import Metrics
from complaints.web.runtime import EXTENSION, Runtime
from complaints.web.schemas.cases import AsOf
from complaints.web.schemas.errors import ErrorSchema
from complaints.web.schemas.fields import Timestamp, VersionTag
from complaints.web.tokens import TokenIssuer
from shared.logging_setup import configure_logging
from shared.settings import Settings, SettingsError

log = logging.getLogger(__name__)

API_DESCRIPTION = """Huiyin (回音) takes the complaints enterprises file about their business
environment and follows each one to its close. Staff sign in at `POST /api/v1/auth/token`,
filers at `POST /api/v1/auth/filer-token` with their reference and access code; send the token
as `Authorization: Bearer …`. Every error answers `{"error", "message", "details"}`."""


class HuiyinApi(Api):
    """flask-smorest's Api, documenting our error shape; errors.py answers every error."""

    ERROR_SCHEMA = ErrorSchema


def create_app(settings: Settings | None = None) -> Flask:
    if settings is None:
        try:
            settings = Settings.from_env()
        except SettingsError as error:
            raise SystemExit(f"huiyin: {error}") from None
    configure_logging(settings.log_level, settings.log_format)

    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        API_TITLE="Huiyin complaints API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=docs.ASSETS_URL,
        API_SPEC_OPTIONS={"info": {"description": API_DESCRIPTION}},
    )
    app.json.ensure_ascii = False

    services = build_services(settings)
    case_index = open_case_index(settings)
    if settings.demo:
        services.staff.ensure_demo_accounts()
    app.extensions[EXTENSION] = Runtime(
        services=services,
        case_index=case_index,
        tokens=TokenIssuer(settings.secret_key, settings.token_ttl_seconds),
        # prometheus-client reads this variable itself when imported; we follow its choice.
        metrics=Metrics(case_index, os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None),
    )

    api = HuiyinApi(app)
    api.register_field(Timestamp, "string", "date-time")
    api.register_field(VersionTag, "string", None)
    api.register_field(AsOf, "string", None)
    api.spec.components.security_scheme(
        SECURITY_SCHEME, {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    # After the Api, so that our handlers, not flask-smorest's, answer every error.
    register_error_handlers(app)
    request_hooks.install(app)
    # The pages at `/`: before docs.blp, so the landing page, not a redirect to /docs, answers `/`.
    pages.install(app, settings)
    scorecards.install(app, services)
    for blueprint in (
        auth.blp, cases.blp, commands.blp, queues.blp, operations.blp, scorecards.blp
    ):
        api.register_blueprint(blueprint)
    app.register_blueprint(docs.blp)
    log.info(
        "complaints app ready",
        extra={"store": settings.store_name, "demo": settings.demo, "pid": os.getpid()},
    )
    return app
