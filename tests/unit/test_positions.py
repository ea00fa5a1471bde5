"""How far a follower has got, from its own position and its parts'."""

from complaints.adapters.positions import reached

PARTS = ["index part 1 of 2", "index part 2 of 2"]


def test_a_follower_without_parts_is_at_its_own_position():
    assert reached({"index": 40}, "index", PARTS) == 40
    assert reached({}, "index", PARTS) == 0


def test_with_every_part_recorded_the_follower_is_at_the_least_of_them_if_that_is_further():
    assert reached({"index": 40, PARTS[0]: 90, PARTS[1]: 70}, "index", PARTS) == 70
    assert reached({PARTS[0]: 90, PARTS[1]: 70}, "index", PARTS) == 70
    # A part left behind by an earlier catch-up, the whole followed on since.
    assert reached({"index": 100, PARTS[0]: 90, PARTS[1]: 70}, "index", PARTS) == 100


def test_a_part_not_recorded_says_nothing_of_the_others():
    assert reached({"index": 40, PARTS[0]: 90}, "index", PARTS) == 40
