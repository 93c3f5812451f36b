"""The OpenAPI document's shared parts: every operation may answer a problem (RFC 9457), and
every account-scoped one takes the `account` parameter."""

from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes

from images.api.problems import CONTENT_TYPE
from images.api.scope import HEADER, MAX_ID, PARAMETER

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An RFC 9457 problem document.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "pointer": {"type": "string"},
                    "field": {"type": ["string", "null"]},
                    "detail": {"type": "string"},
                    "code": {"type": "string"},
                },
            },
        },
    },
    "required": ["type", "title", "status"],
}
UNSCOPED = ("/api/v1/accounts/", "/api/v1/me/")


def add_problems_and_account(result, generator, request, public):
    """Postprocessing hook (SPECTACULAR_SETTINGS): a `default` problem answer on every
    operation, and the account parameter and header where the account matters."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    problem = {
        "description": "A problem (RFC 9457): invalid input, no access, not found, a refused "
        "change, a failed precondition, too many requests.",
        "content": {CONTENT_TYPE: {"schema": PROBLEM_REF}},
    }
    account_id = {**build_basic_type(OpenApiTypes.INT64), "minimum": 1, "maximum": MAX_ID}
    account_parameters = [
        {
            "name": PARAMETER,
            "in": "query",
            "required": False,
            "description": "The account (an id from GET /api/v1/accounts/).",
            "schema": account_id,
        },
        {
            "name": HEADER,
            "in": "header",
            "required": False,
            "description": "The account, as a header (`account` first if both are sent).",
            "schema": account_id,
        },
    ]
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            operation.setdefault("responses", {})["default"] = problem
            if not path.startswith(UNSCOPED):
                operation.setdefault("parameters", []).extend(account_parameters)
    return result
