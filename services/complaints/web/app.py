"""The app factory: settings → services → read side → API and pages. Called once per worker."""

from __future__ import annotations

import logging
import os

from flask import Flask

from complaints.adapters.access_store import open_access_store
from complaints.bootstrap import build_services
from complaints.intelligence.similar import SimilarCases
from complaints.intelligence.suggestions import Dispatcher
from complaints.readmodels.case_index import open_case_index
from complaints.readmodels.scorecards import open_scorecards
from complaints.settings import Settings
from complaints.web import api, docs, pages, request_hooks, security_headers, throttling
from complaints.web.errors import register_error_handlers
from complaints.web.metrics import Metrics
from complaints.web.runtime import DISPATCH, EXTENSION, SCORECARDS, SIMILAR, Runtime
from complaints.web.tokens import TokenIssuer
from shared.installation import SecretFileError, demo_password
from shared.logging_setup import configure_logging
from shared.settings import SettingsError

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> Flask:
    if settings is None:
        try:
            settings = Settings.from_env()
        except SettingsError as error:
            raise SystemExit(f"huiyin: {error}") from None
    configure_logging(settings.log_level, settings.log_format)

    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=settings.max_request_bytes)
    app.json.ensure_ascii = False

    services = build_services(settings)
    services.staff.prepare_sign_in()
    case_index = open_case_index(settings)
    if settings.demo:
        try:
            services.staff.ensure_demo_accounts(demo_password(settings.data_dir))
        except SecretFileError as error:
            raise SystemExit(f"huiyin: the demo password: {error}") from None
    app.extensions[EXTENSION] = Runtime(
        services=services,
        case_index=case_index,
        tokens=TokenIssuer(settings.secret_key, settings.token_ttl_seconds),
        # prometheus-client reads this variable itself when imported; we follow its choice.
        metrics=Metrics(case_index, os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None),
        access=open_access_store(
            settings.database_url, settings.data_dir, create=settings.create_tables
        ),
    )
    # The scorecards beside the event store, for the API and the dashboard.
    app.extensions[SCORECARDS] = open_scorecards(
        services.complaints, create=settings.create_tables
    )

    # Fitted in the background on its first question, not here: a worker starts at once.
    app.extensions[SIMILAR] = SimilarCases(case_index)
    app.extensions[DISPATCH] = Dispatcher(settings.data_dir, services.routing)

    api.install(app)
    # After the API, so that our handlers, not flask-smorest's, answer every error.
    register_error_handlers(app)
    request_hooks.install(app)
    security_headers.install(app)
    # The pages at `/`: before docs.blp, so the landing page, not a redirect to /docs, answers `/`.
    pages.install(app, settings)
    app.register_blueprint(docs.blp)
    # Last: it wraps the sign-in and filing views registered above.
    throttling.install(app, settings, app.extensions[EXTENSION].access)
    log.info(
        "complaints app ready",
        extra={"store": settings.store_name, "demo": settings.demo, "pid": os.getpid()},
    )
    return app
