"""Reading request input with webargs, refusing input that no store could keep."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from flask import Request
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError
from webargs.flaskparser import FlaskParser


class RequestParser(FlaskParser):
    def _raw_load_json(self, req: Request) -> Any:
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            # Nesting past Python's recursion limit is no complaint anyone files: malformed.
            error = json.JSONDecodeError("nested too deeply", "", 0)
            return self._handle_invalid_json_error(error, req)

    def pre_load(self, location_data: Any, *, schema: Schema, req: Request, location: str) -> Any:
        if location in ("query", "querystring"):
            values: Any = req.args.values()
        elif location == "headers":
            values = req.headers.values()
        else:
            values = [location_data]
        for text in _strings(values):
            problem = unstorable(text)
            if problem:
                raise ValidationError(problem, field_name="_body")
        return location_data


class ApiBlueprint(Blueprint):
    """flask-smorest's Blueprint, parsing with RequestParser."""

    ARGUMENTS_PARSER = RequestParser()


def unstorable(text: str) -> str | None:
    """Why a store cannot keep `text`: PostgreSQL refuses NUL, UTF-8 has no lone surrogates."""
    if "\x00" in text:
        return "text must not contain NUL (U+0000) characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "text must be valid Unicode (no lone surrogates)"
    return None


def _strings(values: Any) -> Iterator[str]:
    """Every string in nested JSON values, keys included, without recursion."""
    pending = list(values)
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, Mapping):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list | tuple):
            pending.extend(value)
