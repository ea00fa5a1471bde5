"""What the API takes as a case's attachments: references to documents kept elsewhere.

The API has no upload: a stored file's reference (`sha256:…`) is recorded only from the form
it was uploaded with, so one here is refused, as is any reference holding control characters
(a name with a line break once broke its download). The OpenAPI document declares
the pattern it enforces (apispec reads it from the validator).
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

REFERENCE_PATTERN = r"^(?!sha256:)[^\u0000-\u001f\u007f-\u009f\u2028\u2029]+$"
REFERENCE_ERROR = (
    "a reference is text without control characters; stored files (sha256:…) are attached "
    "only through the form they were uploaded with"
)


def attachment_references(maximum_items: int = 20, maximum_length: int = 500,
                          **kwargs: Any) -> fields.List:
    return fields.List(
        fields.String(validate=[validate.Length(min=1, max=maximum_length),
                                validate.Regexp(REFERENCE_PATTERN, error=REFERENCE_ERROR)]),
        validate=validate.Length(max=maximum_items),
        load_default=list,
        **kwargs,
    )
