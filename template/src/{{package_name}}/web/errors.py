"""Error answers: invalid input always gets a 4xx, never a 500.

FastAPI's own validation handler echoes each invalid value back; a value JSON cannot carry
(`NaN`, a lone surrogate such as "\\ud800") then fails to encode and the client gets a 500.
This handler answers 422 with the same errors, less the echoed `input`, in ASCII-only JSON
(so even a lone surrogate in a field's name is carried as an escape).
"""

import json
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel


class ErrorMessage(BaseModel):
    detail: str


#: Answers any route that reads a request body can give, for its OpenAPI document.
BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    status.HTTP_400_BAD_REQUEST: {"model": ErrorMessage, "description": "The body is malformed."},
    status.HTTP_413_CONTENT_TOO_LARGE: {
        "model": ErrorMessage,
        "description": "The body is larger than the service accepts.",
    },
}


async def validation_error(request: Request, error: Exception) -> Response:
    problems = error.errors() if isinstance(error, RequestValidationError) else []
    errors = [
        {key: value for key, value in problem.items() if key not in {"input", "ctx", "url"}}
        for problem in problems
    ]
    body = json.dumps({"detail": jsonable_encoder(errors)}, ensure_ascii=True, default=str)
    return Response(
        body, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, media_type="application/json"
    )


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
