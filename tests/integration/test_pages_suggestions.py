"""The intake desk and the case page show dispatch suggestions beside the choice, never applied."""

from __future__ import annotations

import pytest

from complaints.web.runtime import EXTENSION, dispatcher
from tests.integration.conftest import PASSWORD
from tests.integration.test_pages_staff import Desk, catch_up, filed, section

POWER = ("工厂用电报装排队三个月", "供电公司拖延接电，变压器增容收费不合理")
TAX = ("出口退税迟迟未到账", "增值税发票无法开具")


@pytest.fixture
def store() -> str:
    """The pages add nothing to the store's work: SQLite is enough."""
    return "sqlite"


@pytest.fixture
def app_runtime(app):
    return app.extensions[EXTENSION]


@pytest.fixture
def complaints(app_runtime):
    return app_runtime.services.complaints


@pytest.fixture
def desk(app, app_runtime):
    """desk("intake") → that staff member signed in; the account is made the first time."""
    registered: set[str] = set()

    def signed_in(username: str) -> Desk:
        if username not in registered:
            role, _, department = username.partition("-")
            app_runtime.services.staff.register(username, PASSWORD, role, department or None)
            registered.add(username)
        return Desk(app, username)

    return signed_in


def learn(app) -> None:
    history = [{"reference": f"R-{category}-{i}", "category": category, "lead_department": lead,
                "subject": words[i % 2], "description": words[(i + 1) % 2]}
               for category, lead, words in (("utilities", "POWER", POWER), ("tax", "TAX", TAX))
               for i in range(30)]
    with app.app_context():
        assert dispatcher().train(history).trained


def test_the_desk_says_the_routing_table_suggests_while_nothing_is_learned(desk, complaints,
                                                                            app_runtime):
    reference = filed(complaints)
    catch_up(app_runtime)

    shown = section(desk("intake").get("/staff/intake"), f"suggestion-{reference}")

    assert "Suggested: Tax services" in shown
    assert "lead department: Tax Bureau" in shown
    assert "From the routing table, not learned: too little history" in shown


def test_the_desk_shows_what_was_learned_with_its_confidence(app, desk, complaints,
                                                             app_runtime):
    learn(app)
    reference = filed(complaints, category="other", subject="用电报装被拖延",
                      description="供电公司迟迟不接电")
    catch_up(app_runtime)

    shown = section(desk("intake").get("/staff/intake"), f"suggestion-{reference}")

    assert shown.startswith("Suggested: Water, power, gas and heat connections (")
    assert "lead department: Power Supply Company (" in shown
    assert "Learned from 60 closed cases" in shown
    page = desk("intake").get("/staff/intake").get_data(as_text=True)
    assert 'value="POWER" selected' not in page  # the routing table's lead stays chosen


def test_the_case_page_shows_the_suggestion_at_the_accept_step(app, desk, complaints):
    learn(app)
    reference = filed(complaints, category="other", subject=TAX[0], description=TAX[1])

    page = desk("supervisor").get(f"/staff/cases/{reference}")

    assert "Suggested: Tax services (" in section(page, "suggestion-accept")


def test_a_handler_is_not_shown_suggestions(desk, complaints):
    reference = filed(complaints)

    page = desk("handler-TAX").get(f"/staff/cases/{reference}").get_data(as_text=True)

    assert "suggestion-" not in page
