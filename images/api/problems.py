"""Errors as application/problem+json (RFC 9457): type, title, status, detail, instance, plus
`code` and, for invalid input, `errors` (one entry per field message, with a JSON pointer).

Problems of HTTP itself (401, 403, 404, 405, 429, ...) have the type about:blank and the status
phrase as title; the dashboard's own (invalid fields, a refused change, a failed precondition,
a reused idempotency key) have a URN of their own.
"""

from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

CONTENT_TYPE = "application/problem+json"
OWN = "urn:contabo-images:problem:"


class Refused(exceptions.APIException):
    """The image's state does not allow the change (services' NotAllowed)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The image's state does not allow this."
    default_code = "refused"


class Duplicate(exceptions.APIException):
    """The upload repeats an image already there (the pages' "Upload anyway" guard)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "duplicate"

    def __init__(self, detail, duplicates: list[dict]):
        super().__init__(detail)
        self.extra = {"duplicates": duplicates}


class TooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The image changed since you read it (If-Match did not match its ETag)."
    default_code = "precondition_failed"


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used with other fields."
    default_code = "idempotency_key_reused"


OWN_CODES = {"invalid", "refused", "duplicate", "precondition_failed", "idempotency_key_reused"}


def exception_handler(exc, context):
    """DRF's handler (headers such as Retry-After and WWW-Authenticate included), its body
    rewritten as a problem document."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = TooLarge(f"The request body is too large: at most {limit} bytes.")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    request = context.get("request")
    response.data = problem(
        exc, response.status_code, instance=request.path if request is not None else None
    )
    response.content_type = CONTENT_TYPE
    return response


def problem(exc: exceptions.APIException, code: int, instance: str | None = None) -> dict:
    phrase = HTTPStatus(code).phrase
    kind = exc.default_code if isinstance(exc, exceptions.APIException) else "error"
    body = {
        "type": OWN + kind.replace("_", "-") if kind in OWN_CODES else "about:blank",
        "title": phrase,
        "status": code,
        "code": kind,
    }
    if isinstance(exc, exceptions.ValidationError):
        body["title"] = "Invalid input"
        body["detail"] = "Some fields are invalid; see `errors`."
        body["errors"] = list(field_errors(exc.detail))
    else:
        body["detail"] = str(exc.detail)
    if instance:
        body["instance"] = instance
    body.update(getattr(exc, "extra", {}))
    return body


def field_errors(detail, path: str = ""):
    """Flatten DRF's nested error detail into {pointer, field, detail, code} entries."""
    if isinstance(detail, dict):
        for name, value in detail.items():
            inner = path if name in ("non_field_errors", "__all__") else f"{path}/{name}"
            yield from field_errors(value, inner)
    elif isinstance(detail, list):
        for item in detail:
            yield from field_errors(item, path)
    else:
        yield {
            "pointer": "#" + path,
            "field": path.rsplit("/", 1)[-1] or None,
            "detail": str(detail),
            "code": getattr(detail, "code", "invalid"),
        }


@csrf_exempt
def not_found(request, *args, **kwargs):
    """Any path under /api/ no route matches (an id that is no number, a mistyped path), by
    any method: a 404 problem rather than the pages' HTML."""
    body = problem(exceptions.NotFound("No such API endpoint."), 404, instance=request.path)
    return JsonResponse(body, status=404, content_type=CONTENT_TYPE)
