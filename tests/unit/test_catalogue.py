"""A city's own catalogue is checked whole at start-up; each error names its place in the file."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from complaints.application.routing import RoutingTable
from complaints.settings import Settings
from notify.application.directory import Directory
from notify.settings import NotifySettings
from shared.catalogue import Catalogue
from shared.settings import SettingsError
from tests.fixtures.stores import TEST_KEK

LABELS = {"zh": "税务局", "en": "Tax Bureau", "ru": "Налоговое бюро"}
EXAMPLE = resources.files("complaints") / "data/catalogues/msgboard-seven-classes.json"


def catalogue(**changes) -> dict:
    raw = {
        "supervising_department": "TAX",
        "departments": {"TAX": {"labels": dict(LABELS)},
                        "FIN": {"labels": dict(LABELS), "mailbox": "fin@city.example"}},
        "categories": {"tax": {"labels": dict(LABELS), "lead": "TAX", "co": ["FIN"],
                               "keywords": ["退税"]}},
    }
    raw.update(changes)
    return raw


def start_with(tmp_path: Path, raw: dict | str, service=Settings):
    path = tmp_path / "catalogue.json"
    path.write_text(raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False))
    env = {"HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": "s" * 32,
           "HUIYIN_CATALOGUE_FILE": str(path)}
    return service.from_env(env)


def refusal(tmp_path: Path, raw: dict | str) -> str:
    with pytest.raises(SettingsError) as refused:
        start_with(tmp_path, raw)
    return str(refused.value)


def test_a_city_catalogue_routes_and_labels_by_its_own_categories(tmp_path):
    settings = start_with(tmp_path, catalogue())

    routing = RoutingTable.of(settings.catalogue)
    assert list(routing.categories) == ["tax"]
    assert routing.propose("tax").co == ("FIN",)
    assert routing.keywords("tax") == ("退税",)
    assert routing.fingerprint == settings.catalogue.fingerprint


def test_an_unknown_lead_department_is_named_with_its_place(tmp_path):
    raw = catalogue()
    raw["categories"]["tax"]["lead"] = "TAXX"

    message = refusal(tmp_path, raw)

    assert "HUIYIN_CATALOGUE_FILE" in message
    assert "catalogue.json: categories.tax.lead: unknown department 'TAXX'" in message


def test_an_unknown_co_handler_is_named(tmp_path):
    raw = catalogue()
    raw["categories"]["tax"]["co"] = ["FIN", "NOWHERE"]

    assert "categories.tax.co: unknown department(s) NOWHERE" in refusal(tmp_path, raw)


def test_labels_missing_a_language_are_named(tmp_path):
    raw = catalogue()
    del raw["departments"]["FIN"]["labels"]["ru"]
    raw["categories"]["tax"]["labels"]["en"] = " "

    assert "departments.FIN.labels: missing ru" in refusal(tmp_path, raw)
    del raw["departments"]["FIN"]
    raw["categories"]["tax"]["co"] = []
    assert "categories.tax.labels: missing en" in refusal(tmp_path, raw)


def test_bad_json_is_refused_with_the_file_and_the_line(tmp_path):
    message = refusal(tmp_path, '{"departments": {,}')

    assert "catalogue.json: not valid JSON" in message and "line 1" in message


def test_a_missing_file_is_refused_not_a_traceback(tmp_path):
    env = {"HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": "s" * 32,
           "HUIYIN_CATALOGUE_FILE": str(tmp_path / "absent.json")}

    with pytest.raises(SettingsError, match=r"absent\.json: cannot be read"):
        Settings.from_env(env)


def test_a_supervising_department_must_be_one_of_the_departments(tmp_path):
    message = refusal(tmp_path, catalogue(supervising_department="BIZENV"))

    assert "supervising_department: 'BIZENV' is not one of the departments" in message


def test_without_a_default_time_limit_every_category_needs_its_own(tmp_path):
    limits = {"max_extension": 15, "overrides": {"tax": {"note": "rule 7", "reply": 10}}}

    message = refusal(tmp_path, catalogue(time_limits=limits))

    assert "time_limits: no default" in message and "tax lack(s) one" in message


def test_a_catalogue_with_complete_limits_of_its_own_uses_them(tmp_path):
    stages = {"accept": 2, "reply": 10, "rectify": 10, "return_visit": 2}
    limits = {"max_extension": 5, "overrides": {"tax": {"note": "rule 7", **stages}}}

    settings = start_with(tmp_path, catalogue(time_limits=limits))

    assert settings.time_limits.working_days("tax", "reply") == 10
    assert settings.time_limits.max_extension == 5


def test_time_limits_for_a_category_the_catalogue_lacks_are_refused(tmp_path):
    limits = {"default": {"accept": 1, "reply": 15, "rectify": 15, "return_visit": 3},
              "max_extension": 15, "overrides": {"land": {"note": "x", "reply": 3}}}

    assert "overrides name unknown categories: land" in refusal(
        tmp_path, catalogue(time_limits=limits))


def test_the_notify_service_names_and_mails_departments_by_the_same_file(tmp_path):
    settings = start_with(tmp_path, catalogue(), service=NotifySettings)

    directory = Directory.load().with_catalogue(settings.shared.catalogue)

    assert directory.department("FIN") == "fin@city.example"
    assert directory.department("TAX") == "tax@huiyin.example"  # the packaged mailbox
    assert directory.label("FIN", "ru") == "Налоговое бюро"
    assert directory.supervising_department == "TAX"


def test_the_notify_service_refuses_a_bad_catalogue_too(tmp_path):
    with pytest.raises(SettingsError, match=r"categories\.tax\.lead"):
        raw = catalogue()
        raw["categories"]["tax"]["lead"] = "NOBODY"
        start_with(tmp_path, raw, service=NotifySettings)


def test_the_shipped_catalogues_pass_their_own_checks():
    routing = RoutingTable.load()
    board = Catalogue.parse(EXAMPLE.read_text("utf-8"), "msgboard-seven-classes.json")

    assert len(board.categories) == 7
    assert all(entry.get("keywords") for entry in board.categories.values())
    assert routing.fingerprint != board.fingerprint
