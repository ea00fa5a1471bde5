"""The unified social credit code (统一社会信用代码) of GB 32100-2015, with its check character."""

from __future__ import annotations

# GB 32100-2015 §4: the 31 code characters (no I, O, Z, S, V) and their values 0..30.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {character: value for value, character in enumerate(ALPHABET)}
# The weight of each of the first 17 positions is 3**(i) mod 31.
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
LENGTH = 18


def check_character(first17: str) -> str:
    """The 18th character that GB 32100-2015 computes from the first 17."""
    total = sum(
        VALUES[character] * weight for character, weight in zip(first17, WEIGHTS, strict=True)
    )
    return ALPHABET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Why `code` is not a valid unified social credit code, or None when it is."""
    if len(code) != LENGTH:
        return f"must be {LENGTH} characters long, not {len(code)}"
    bad = sorted({character for character in code if character not in VALUES})
    if bad:
        return f"contains characters not allowed in a credit code: {''.join(bad)}"
    if not code[2:8].isdigit():
        return "characters 3 to 8 must be the digits of an administrative division code"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"check character is {code[17]}, but the code's first 17 characters give {expected}"
    return None


def is_valid_credit_code(code: str) -> bool:
    return credit_code_problem(code) is None
