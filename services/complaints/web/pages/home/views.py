"""The landing page: what Huiyin is, and the ways in for enterprises and staff."""

from __future__ import annotations

from flask import Blueprint, render_template

blp = Blueprint("home", __name__)


@blp.route("/")
def landing():
    return render_template("home/landing.html")
