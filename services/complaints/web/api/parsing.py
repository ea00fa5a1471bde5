"""Reading request input with webargs, refusing input that no store could keep."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from flask import Request, current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError
from webargs.flaskparser import FlaskParser

from complaints.web.identity import NEEDS_TOKEN, current_principal


class RequestParser(FlaskParser):
    """Every API blueprint's parser, so the one place where the API reads JSON bodies."""

    def _raw_load_json(self, req: Request) -> Any:
        try:
            return super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise  # webargs' own: an empty body is no body, anything else is malformed
        except (RecursionError, ValueError) as error:
            # Nesting past Python's recursion limit, or an integer longer than Python reads
            # (more than 4,300 digits, a ValueError): no complaint anyone files, so malformed.
            refusal = json.JSONDecodeError(f"unreadable: {type(error).__name__}", "?", 0)
            return self._handle_invalid_json_error(refusal, req)

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
    """flask-smorest's Blueprint, parsing with RequestParser, asking for the token first."""

    ARGUMENTS_PARSER = RequestParser()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.before_request(_token_before_input)

    def needs_token(self, view: Callable) -> Callable:
        """Document the bearer token the view needs, and check it before any input is read:
        an anonymous caller learns that it must sign in, not what a valid body looks like."""
        view.needs_token = True  # type: ignore[attr-defined]
        return self.doc(**NEEDS_TOKEN)(view)


def _token_before_input() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "needs_token", False):
        current_principal()


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
