"""Staff sign in to the pages with their account, see who they are, and sign out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from complaints.application.principals import AuthenticationError
from complaints.web.pages.navigation import destinations_for
from complaints.web.pages.sessions import (
    current_principal,
    local_path,
    session_ends_at,
    sign_in,
    sign_out,
    staff_required,
)
from complaints.web.pages.staff.forms import SignInForm
from complaints.web.runtime import runtime

blp = Blueprint("staff", __name__, url_prefix="/staff")

# A form sent back with its problems shown answers 422, so tests and logs can tell.
FORM_PROBLEM = 422


@blp.route("", methods=["GET"])
@staff_required()
def home():
    principal = current_principal()
    return render_template(
        "staff/home.html",
        principal=principal,
        destinations=destinations_for(principal),
        session_ends_at=session_ends_at(),
    )


@blp.route("/sign-in", methods=["GET", "POST"], endpoint="sign_in")
def sign_in_page():
    form = SignInForm()
    next_path = local_path(request.args.get("next"))
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            principal = runtime().services.staff.authenticate(
                form.username.data, form.password.data
            )
        except AuthenticationError:
            # The same words whichever of the two was wrong: nobody learns who has an account.
            problems.append(
                _("The username or the password is not right. Check both and try again.")
            )
        else:
            sign_in(principal)
            return redirect(next_path or url_for(".home"), code=303)
    status = FORM_PROBLEM if form.errors or problems else 200
    return render_template(
        "staff/sign_in.html", form=form, problems=problems, next_path=next_path
    ), status


@blp.route("/sign-out", methods=["POST"], endpoint="sign_out")
def sign_out_page():
    sign_out()
    flash(_("You have signed out."))
    return redirect(url_for("pages.home.landing"), code=303)
