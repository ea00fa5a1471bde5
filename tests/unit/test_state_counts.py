"""The sums of cases by state kept per filing day: what writing a row moves."""

from datetime import UTC, date, datetime

from complaints.readmodels.case_index.state_counts import ALL, Placed, city_offset, moves

# 23:30 on 4 March in the city.
LATE_ON_THE_4TH = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)
THE_4TH, THE_5TH = date(2026, 3, 4), date(2026, 3, 5)


def placed(version, status, lead=None, co=(), at=LATE_ON_THE_4TH):
    return Placed(version, at, status, lead, co)


def test_a_new_case_counts_on_its_city_filing_day_under_all_and_each_of_its_departments():
    moved = moves({}, [("a", placed(3, "assigned", "TAX", ("COMMERCE", "TAX")))])

    assert moved == {(THE_4TH, ALL, "assigned"): 1, (THE_4TH, "TAX", "assigned"): 1,
                     (THE_4TH, "COMMERCE", "assigned"): 1}


def test_a_case_moving_on_takes_its_counts_from_its_old_state_and_department():
    before = {"a": placed(3, "assigned", "TAX")}

    moved = moves(before, [("a", placed(5, "assigned", "COMMERCE"))])

    assert moved == {(THE_4TH, "TAX", "assigned"): -1, (THE_4TH, "COMMERCE", "assigned"): 1}


def test_an_older_row_moves_nothing_as_the_store_keeps_the_newer():
    before = {"a": placed(5, "closed", "TAX")}

    assert moves(before, [("a", placed(4, "responded", "TAX"))]) == {}
    assert moves(before, [("a", placed(5, "closed", "TAX"))]) == {}


def test_the_city_is_eight_hours_ahead_all_year():
    assert city_offset() == "+8 hours"
