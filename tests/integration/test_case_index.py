"""The case index on SQLite and PostgreSQL: the department queue, case search, and its lag."""

import threading
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic

import pytest

from complaints.application.principals import Principal
from complaints.bootstrap import build_services
from complaints.domain.credit_code import check_character
from complaints.domain.values import Role
from complaints.processes import catch_up_projections, run_projections
from complaints.readmodels.case_index import open_case_index
from shared.locale import CITY_TIME
from tests.fixtures.filing import filing_command

CREDIT_CODE = "91110000802100433B"
OTHER_CREDIT_CODE = "91230100MA1B2C3D4" + check_character("91230100MA1B2C3D4")
FILER = Principal("public", Role.FILER)
INTAKE = Principal("i", Role.INTAKE)


def handler(department: str) -> Principal:
    return Principal("h", Role.HANDLER, department=department)


def march(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


@pytest.fixture
def desk(settings):
    services = build_services(settings)
    yield Desk(services.complaints)
    services.close()


@pytest.fixture
def index(settings, desk):
    case_index = open_case_index(settings)
    yield case_index
    case_index.close()


class Desk:
    """What filers, intake staff and handlers do to cases, as the application offers it."""

    def __init__(self, app):
        self.app = app

    def file(
        self,
        subject="营业执照变更办理缓慢",
        description="材料已齐全，窗口仍要求补充。",
        *,
        category="tax",
        enterprise="黑河市远东贸易有限公司",
        credit_code=None,
        filed_at=None,
    ):
        filer = {"enterprise_name": enterprise, "contact_person": "王伟"}
        if credit_code:
            filer["credit_code"] = credit_code
        submission = {
            "channel": "web",
            "category": category,
            "subject": subject,
            "description": description,
            "filer": filer,
        }
        if filed_at is None:
            return self.app.file_case(FILER, filing_command(submission))
        # Only staff may say when something happened: a hotline call typed in later.
        submission["channel"] = "hotline"
        return self.app.file_case(INTAKE, filing_command(submission, occurred_at=filed_at))

    def assign(self, filing, lead=None, co=None, at=None):
        self.app.accept_case(INTAKE, filing.case_id, occurred_at=at)
        self.app.assign_case(INTAKE, filing.case_id, lead=lead, co=co, occurred_at=at)

    def respond(self, filing, department):
        self.app.respond(handler(department), filing.case_id, "resolved", "已办结，税款已退。")

    def close(self, filing, department):
        self.respond(filing, department)
        self.app.close_case(handler(department), filing.case_id)


def references(page):
    return [item["reference"] for item in page.items]


# -- the department queue ---------------------------------------------------------------------


@pytest.fixture
def tax_desk_cases(settings, desk):
    """Cases around the TAX department, filed and assigned at known times."""
    cases = {
        "early_due": desk.file(filed_at=march(3)),
        "same_due_filed_first": desk.file(filed_at=march(1)),
        "later_due": desk.file(filed_at=march(2)),
        "co_handled": desk.file(category="cross_border_trade", filed_at=march(4)),
        "answered": desk.file(filed_at=march(5)),
        "closed": desk.file(filed_at=march(6)),
        "elsewhere": desk.file(category="licensing", filed_at=march(7)),
        "not_assigned": desk.file(filed_at=march(8)),
    }
    desk.assign(cases["early_due"], at=march(4))
    desk.assign(cases["same_due_filed_first"], at=march(4))
    desk.assign(cases["later_due"], at=march(10))
    desk.assign(cases["co_handled"], co=["COMMERCE", "TAX"], at=march(20))
    desk.assign(cases["answered"], at=march(5))
    desk.respond(cases["answered"], "TAX")
    desk.assign(cases["closed"], at=march(6))
    desk.close(cases["closed"], "TAX")
    desk.assign(cases["elsewhere"], at=march(7))
    catch_up_projections(settings)
    return {name: filing.reference for name, filing in cases.items()}


def test_the_queue_puts_the_nearest_deadline_first_then_the_longest_waiting(index, tax_desk_cases):
    page = index.queue("TAX")

    assert references(page) == [
        tax_desk_cases["same_due_filed_first"],
        tax_desk_cases["early_due"],
        tax_desk_cases["later_due"],
        tax_desk_cases["co_handled"],
        tax_desk_cases["answered"],  # replied: no deadline, so last
    ]
    assert page.total == 5


def test_the_queue_holds_cases_the_department_co_handles(index, tax_desk_cases):
    assert references(index.queue("COMMERCE")) == [tax_desk_cases["co_handled"]]
    assert references(index.queue("CUSTOMS")) == [tax_desk_cases["co_handled"]]


def test_the_queue_holds_only_the_departments_own_cases(index, tax_desk_cases):
    assert references(index.queue("SAMR")) == [tax_desk_cases["elsewhere"]]
    assert references(index.queue("LAND")) == []


def test_the_queue_shows_closed_cases_only_when_asked(index, tax_desk_cases):
    assert references(index.queue("TAX", statuses=["closed"])) == [tax_desk_cases["closed"]]
    assert references(index.queue("TAX", statuses=["responded", "closed"])) == [
        tax_desk_cases["answered"],
        tax_desk_cases["closed"],
    ]


def test_the_queue_pages_through_its_cases(index, tax_desk_cases):
    page = index.queue("TAX", limit=2, offset=1)

    assert references(page) == [tax_desk_cases["early_due"], tax_desk_cases["later_due"]]
    assert page.total == 5
    # A page where the cases TAX leads meet the one it co-handles.
    assert references(index.queue("TAX", limit=2, offset=2)) == [
        tax_desk_cases["later_due"], tax_desk_cases["co_handled"]]
    assert references(index.queue("TAX", limit=1, offset=4)) == [tax_desk_cases["answered"]]


def test_a_queue_row_carries_what_the_queue_page_shows(index, tax_desk_cases):
    (row,) = index.queue("COMMERCE").items

    assert row["status"] == "assigned"
    assert row["lead_department"] == "CUSTOMS"
    assert row["co_departments"] == ["COMMERCE", "TAX"]
    assert row["category"] == "cross_border_trade"
    assert row["filed_at"] == "2026-03-04T09:00:00.000000+00:00"
    assert row["due_at"] > row["filed_at"]
    assert row["version"] == 3
    assert row["review_stage"] == "none"
    assert (row["confidential"], row["anonymous"]) == (False, False)


# -- search -----------------------------------------------------------------------------------


@pytest.fixture
def filed(settings, desk):
    """A handful of cases in Chinese, Russian and English, indexed."""
    cases = {
        "export_rebate": desk.file(
            "出口退税迟迟未到账",
            "我公司三月申请出口退税，至今未到账。",
            credit_code=CREDIT_CODE,
            filed_at=march(2),
        ),
        "import_export": desk.file(
            "进出口退税办理太慢", "窗口说系统故障。", credit_code=CREDIT_CODE, filed_at=march(5)
        ),
        "customs_ru": desk.file(
            "Груз стоит на границе",
            "ТАМОЖНЯ задерживает груз уже две недели.",
            category="cross_border_trade",
            enterprise="ООО «Амур-Торг»",
            credit_code=OTHER_CREDIT_CODE,
            filed_at=march(10),
        ),
        "permit_en": desk.file(
            "Construction permit never came",
            "We filed every document in January; the permit is still missing.",
            category="construction_permits",
            enterprise="Amur Building Materials Ltd",
            filed_at=march(20),
        ),
    }
    desk.assign(cases["customs_ru"])
    catch_up_projections(settings)
    return {name: filing.reference for name, filing in cases.items()}


def test_a_two_character_chinese_word_finds_the_longer_phrase(index, filed):
    assert set(references(index.search(text="退税"))) == {
        filed["export_rebate"],
        filed["import_export"],
    }


def test_a_chinese_phrase_finds_every_case_that_writes_it(index, filed):
    assert set(references(index.search(text="出口退税"))) == {
        filed["export_rebate"],
        filed["import_export"],
    }
    assert references(index.search(text="社保")) == []



def test_one_chinese_character_finds_every_case_that_writes_it(index, filed):
    """Wherever it stands: first of a pair (慢 ends 太慢 but begins no pair), in the middle."""
    assert set(references(index.search(text="税"))) == {
        filed["export_rebate"],
        filed["import_export"],
    }
    assert references(index.search(text="慢")) == [filed["import_export"]]
    assert references(index.search(text="窗")) == [filed["import_export"]]
    assert references(index.search(text="鱼")) == []

def test_a_russian_word_finds_the_case_in_any_case(index, filed):
    assert references(index.search(text="таможня")) == [filed["customs_ru"]]
    assert references(index.search(text="Груз")) == [filed["customs_ru"]]


def test_english_words_find_the_case_they_all_appear_in(index, filed):
    assert references(index.search(text="permit missing")) == [filed["permit_en"]]
    assert references(index.search(text="permit refund")) == []


def test_staff_find_a_case_by_the_words_of_its_reply(settings, desk, index, filed):
    answered = desk.file("退税", "材料已交。", filed_at=march(21))
    desk.assign(answered, lead="TAX", at=march(21))
    desk.respond(answered, "TAX")
    catch_up_projections(settings)

    assert references(index.search(text="税款已退")) == [answered.reference]
    assert references(index.search(text="办结 退税")) == [answered.reference]


def test_search_by_reference_is_exact(index, filed):
    assert references(index.search(reference=filed["customs_ru"].lower())) == [filed["customs_ru"]]
    assert references(index.search(reference="HY-2026-999999")) == []


def test_search_by_enterprise_name_is_a_case_insensitive_substring(index, filed):
    assert references(index.search(enterprise_name="AMUR building")) == [filed["permit_en"]]
    assert references(index.search(enterprise_name="АМУР-торг")) == [filed["customs_ru"]]
    assert len(references(index.search(enterprise_name="远东"))) == 2


def test_search_by_credit_code_is_exact(index, filed):
    assert set(references(index.search(credit_code=CREDIT_CODE.lower()))) == {
        filed["export_rebate"],
        filed["import_export"],
    }
    assert references(index.search(credit_code=CREDIT_CODE[:10])) == []


def test_search_by_category_status_and_department(index, filed):
    assert references(index.search(category="construction_permits")) == [filed["permit_en"]]
    assert references(index.search(status="assigned")) == [filed["customs_ru"]]
    assert references(index.search(department="COMMERCE")) == [filed["customs_ru"]]
    assert len(references(index.search(status=["filed", "assigned"]))) == 4


def test_search_by_filing_dates_counts_days_in_the_city_and_includes_both_ends(index, filed):
    page = index.search(filed_from=date(2026, 3, 5), filed_to=date(2026, 3, 10))

    assert references(page) == [filed["customs_ru"], filed["import_export"]]  # newest first


def test_search_filters_combine(index, filed):
    assert references(index.search(text="退税", filed_to=date(2026, 3, 4))) == [
        filed["export_rebate"]
    ]
    assert references(index.search(text="退税", category="cross_border_trade")) == []


def test_search_pages_newest_first_and_counts_all_matches(index, filed):
    page = index.search(limit=2, offset=1)

    assert references(page) == [filed["customs_ru"], filed["import_export"]]
    assert page.total == 4


def test_status_counts_name_every_status(index, filed):
    counts = index.status_counts()

    assert counts["filed"] == 3
    assert counts["assigned"] == 1
    assert counts["closed"] == 0


def counted_from_rows(index, first, last, department):
    """The same question asked of the rows themselves (moments, not whole days)."""
    start = datetime.combine(first, time.min, tzinfo=CITY_TIME)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=CITY_TIME)
    return index.status_counts(filed_from=start, filed_to=end - timedelta(microseconds=1),
                               department=department)


PERIODS = [(date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 3, 4), date(2026, 3, 5)),
           (date(2026, 3, 5), date(2026, 3, 5)), (date(2026, 3, 9), date(2026, 3, 30))]


def test_state_counts_kept_by_day_agree_with_the_rows_as_cases_move(settings, desk, index,
                                                                    tax_desk_cases):
    # The last moment of 4 March in the city, and the first of the 5th.
    late = desk.file(filed_at=datetime(2026, 3, 4, 15, 59, 59, 999999, tzinfo=UTC))
    early = desk.file(filed_at=datetime(2026, 3, 4, 16, tzinfo=UTC))
    desk.assign(late, lead="TAX", co=["COMMERCE"], at=march(9))
    catch_up_projections(settings)
    # Moved after the index saw them: transferred elsewhere, replied, closed.
    desk.app.transfer_case(handler("TAX"), late.case_id, "COMMERCE", "不属本部门职责")
    desk.assign(early, lead="TAX", at=march(9))
    desk.close(early, "TAX")
    catch_up_projections(settings)

    for department in (None, "TAX", "COMMERCE", "MARKET"):
        for first, last in PERIODS:
            kept = index.status_counts(filed_from=first, filed_to=last, department=department)
            assert kept == counted_from_rows(index, first, last, department), (department, first)
    # The transferred case now counts for COMMERCE alone (its co-handler became its lead).
    on_the_4th = {name: index.status_counts(filed_from=date(2026, 3, 4), filed_to=date(2026, 3, 4),
                                            department=name)["assigned"]
                  for name in ("TAX", "COMMERCE")}
    assert on_the_4th == {"TAX": 1, "COMMERCE": 2}
    assert sum(index.status_counts().values()) == index.search().total == 10


def test_state_counts_of_an_index_made_before_they_were_kept_are_summed_from_its_rows(
        settings, desk, index, tax_desk_cases):
    before = {period: index.status_counts(filed_from=period[0], filed_to=period[1],
                                          department="TAX") for period in PERIODS}
    # The same index as an earlier version left it: without its sums.
    with index.recorder.datastore.transaction(commit=True) as cursor:
        cursor.execute("DROP TABLE case_index_states")

    reopened = open_case_index(settings)

    after = {period: reopened.status_counts(filed_from=period[0], filed_to=period[1],
                                            department="TAX") for period in PERIODS}
    reopened.close()
    assert after == before and sum(before[PERIODS[0]].values()) == 6


# -- lag --------------------------------------------------------------------------------------


def test_the_index_says_how_far_behind_the_event_store_it_is(settings, desk, index):
    desk.file()
    desk.file()
    before = index.lag()

    catch_up_projections(settings)
    after = index.lag()
    desk.file()

    assert (before.tracked, before.behind) == (0, before.head) and before.head >= 2
    assert after.behind == 0 and after.tracked == after.head
    assert index.lag().behind >= 1
    assert index.search().lag.tracked == after.tracked


def test_staff_account_events_move_the_position_but_add_no_row(settings, desk, index):
    desk.file()
    services = build_services(settings)
    services.staff.register("wang", "secret-of-wang", "handler", "TAX")
    services.close()

    catch_up_projections(settings)

    assert index.lag().behind == 0
    assert index.search().total == 1


def test_a_read_waits_briefly_for_what_was_recorded_before_it_and_then_says_its_lag(
    settings, desk, index
):
    catch_up_projections(settings)
    desk.file()

    started = monotonic()
    page = index.search()  # nothing keeps the index current here

    assert 0.9 <= monotonic() - started < 10  # waited, and not without end
    assert page.total == 0 and page.lag.behind >= 1


def test_a_read_just_after_a_write_finds_it_while_the_projections_run(settings, desk, index):
    catch_up_projections(settings)
    stop = threading.Event()
    runner = threading.Thread(target=run_projections, args=(settings,), kwargs={"stop": stop})
    runner.start()
    try:
        for count in (1, 2, 3):
            desk.file()
            page = index.search()
            assert page.total == count and page.lag.behind == 0
    finally:
        stop.set()
        runner.join(timeout=10)
