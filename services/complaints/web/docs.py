"""The browsable API documentation's assets, served from the app so /docs needs no network."""

from __future__ import annotations

from flask import Blueprint, send_from_directory
from swagger_ui_bundle import swagger_ui_path

ASSETS_URL = "/docs/assets/"

blp = Blueprint("docs", __name__)


@blp.route(f"{ASSETS_URL}<path:filename>")
def swagger_ui_asset(filename: str):
    return send_from_directory(str(swagger_ui_path), filename, max_age=24 * 3600)

