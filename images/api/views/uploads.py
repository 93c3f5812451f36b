"""Uploads by URL (with Idempotency-Key) and the URL preflight a worker runs before one."""

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from images import selectors
from images.api import scope
from images.api.problems import Duplicate, IdempotencyKeyReused
from images.api.serializers import (
    ImageCreateSerializer,
    PreflightRequestSerializer,
    PreflightSerializer,
)
from images.api.views.base import AccountView, image_response
from images.services import idempotency, preflight
from images.services.intents import request_upload

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    description="Any unique string up to 255 characters (a UUID): a retry with the same key "
    "and fields answers with the same image instead of queueing a second one.",
)
KEY_MAX_LENGTH = 255


def create_image(request) -> Response:
    scope.require_manager(request)
    key = _idempotency_key(request)
    fingerprint = None
    if key is not None and isinstance(request.data, dict):
        fingerprint = idempotency.fingerprint({"account": request.account.pk, **request.data})
        if replay := _replay(request, key, fingerprint):
            return replay
    body = ImageCreateSerializer(
        data=request.data, form_kwargs={"duplicate_guard": True, "account": request.account}
    )
    if not body.is_valid():
        # A parallel request with the same key may have made the image since: the duplicate
        # guard then sees it, and the answer is that image, not a 409.
        if fingerprint is not None and (replay := _replay(request, key, fingerprint)):
            return replay
        duplicate_problem(request, body)
        raise ValidationError(body.errors)
    fields = {"user": request.user, "account": request.account, **body.validated_data}
    if key is None:
        return _accepted(request, request_upload(**fields).pk)
    try:
        image, replayed = idempotency.upload_once(key=key, fingerprint=fingerprint, **fields)
    except idempotency.KeyReused as exc:  # a parallel request with the key won the race
        raise IdempotencyKeyReused() from exc
    return _accepted(request, image.pk, replayed=replayed)


def _replay(request, key: str, fingerprint: str) -> Response | None:
    """The answer an earlier request with this key got, or None."""
    try:
        earlier = idempotency.earlier_image(user=request.user, key=key, fingerprint=fingerprint)
    except idempotency.KeyReused as exc:
        raise IdempotencyKeyReused() from exc
    return None if earlier is None else _accepted(request, earlier.pk, replayed=True)


def _idempotency_key(request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not key.strip() or len(key) > KEY_MAX_LENGTH or not key.isprintable():
        raise ValidationError(
            {"Idempotency-Key": [f"1 to {KEY_MAX_LENGTH} printable characters (a UUID)."]}
        )
    return key


def _accepted(request, pk: int, replayed: bool = False) -> Response:
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return image_response(request, pk, status.HTTP_202_ACCEPTED, **headers)


def duplicate_problem(request, body) -> None:
    """A 409 listing the images an upload repeats, when that is the form's only objection;
    send `upload_anyway: true` to go on."""
    form = body.form
    if form is not None and form.needs_confirmation and set(body.errors) == {"non_field_errors"}:
        duplicates = [
            {
                "id": d.image.pk,
                "name": d.image.name,
                "status": d.image.status,
                "same_url": d.same_url,
                "same_name": d.same_name,
                "api_url": request.build_absolute_uri(reverse("api:image", args=[d.image.pk])),
            }
            for d in form.duplicates
        ]
        raise Duplicate(
            "This upload repeats the images in `duplicates`; send upload_anyway: true to "
            "start it all the same.",
            duplicates,
        )


class PreflightView(AccountView):
    @extend_schema(request=PreflightRequestSerializer, responses={202: PreflightSerializer})
    def post(self, request):
        """Ask a worker what the URL's server says about the file (HEAD): name, size, and
        whether it fits the quota left. Poll the Location until `state` is done."""
        scope.require_manager(request)
        body = PreflightRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        token = preflight.request_preflight(body.validated_data["url"], user=request.user)
        data = preflight_result(request, token)
        return Response(
            data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["api_url"]}
        )


class PreflightResultView(AccountView):
    @extend_schema(responses=PreflightSerializer)
    def get(self, request, token: str):
        """A URL check: `pending` until a worker stored what the server said."""
        scope.require_manager(request)
        return Response(preflight_result(request, token))


def preflight_result(request, token: str) -> dict:
    entry = preflight.read(token, user=request.user)
    if entry is None:
        raise NotFound("No such check (they are kept 5 minutes).")
    data = {k: v for k, v in entry.items() if k not in ("user_id", "created")}
    data["token"] = token
    data["api_url"] = request.build_absolute_uri(reverse("api:preflight_result", args=[token]))
    if entry.get("size_mb") is not None:
        left = selectors.quota_left_now(request.account)
        data["quota_left_mb"] = left
        data["fits"] = None if left is None else entry["size_mb"] <= left
    return data
