"""Images: the list (the list page's search, filters and sort, cursor pages), one image with
its audit trail, rename (PATCH), delete, retry and replace. Changes are stored as intent and
carried out by a worker, so they answer 202 with the image's state."""

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from images import selectors
from images.api import conditions, pagination, scope
from images.api.problems import Refused
from images.api.serializers import (
    ImageCreateSerializer,
    ImageDetailSerializer,
    ImageFilterSerializer,
    ImagePageSerializer,
    ImageRenameSerializer,
    ImageReplaceSerializer,
    ImageRetrySerializer,
    ImageSerializer,
)
from images.api.views.base import AccountView, get_image, image_response, locked_image
from images.api.views.uploads import IDEMPOTENCY_KEY, create_image, duplicate_problem
from images.services import lineage
from images.services.intents import NotAllowed, request_delete, request_rename, why_unchangeable

IF_MATCH = OpenApiParameter(
    "If-Match",
    location=OpenApiParameter.HEADER,
    required=False,
    description="The ETag you read: a 412 if the image changed since.",
)
ACCEPTED = OpenApiResponse(ImageDetailSerializer, description="Accepted: a worker carries it out.")
PAGE_PARAMETERS = [
    ImageFilterSerializer,
    OpenApiParameter("cursor", str, description="The `next` of the previous page, as given."),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": pagination.MAX_PAGE_SIZE},
        description=f"Images per page (default {pagination.DEFAULT_PAGE_SIZE}).",
    ),
]


class ImageListView(AccountView):
    @extend_schema(
        operation_id="images_list", parameters=PAGE_PARAMETERS, responses=ImagePageSerializer
    )
    def get(self, request):
        """The account's images, newest first by default; DELETED and GONE only with
        status=all or their own status. Follow `next` (also in the Link header) page by page."""
        filters = ImageFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        criteria = filters.form.criteria()
        size = pagination.page_size(request.query_params.get("page_size"))
        images = selectors.images_matching(request.account, criteria)
        rows, cursor = pagination.page(images, request.query_params.get("cursor"), size)
        selectors.attach_progress(rows)
        next_url = None
        headers = {}
        if cursor:
            query = request.query_params.copy()
            query["cursor"] = cursor
            next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
            headers["Link"] = f'<{next_url}>; rel="next"'
        data = {
            "results": ImageSerializer(rows, many=True, context={"request": request}).data,
            "next": next_url,
        }
        return Response(data, headers=headers)

    @extend_schema(
        request=ImageCreateSerializer,
        responses={202: ACCEPTED},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request):
        """Upload by URL: queued at once, submitted to Contabo by a worker. With an
        Idempotency-Key, a retry of the same request answers with the same image
        (Idempotent-Replayed: true); the same key with other fields is a 422."""
        return create_image(request)


class ImageDetailView(AccountView):
    @extend_schema(responses=ImageDetailSerializer)
    def get(self, request, pk: int):
        """One image: every field, its versions, its audit trail (newest first) and, when
        Contabo failed it, Contabo's message and x-request-id. The ETag header is its version."""
        return image_response(request, pk)

    @extend_schema(request=ImageRenameSerializer, responses={202: ACCEPTED}, parameters=[IF_MATCH])
    def patch(self, request, pk: int):
        """Rename: `name` and/or `description` (the other keeps its current or pending value)."""
        scope.require_manager(request)
        with transaction.atomic():
            image = locked_image(request, pk)
            conditions.check_if_match(request, image)
            _refuse(why_unchangeable(image))
            current = {
                "name": image.name if image.pending_name is None else image.pending_name,
                "description": (
                    image.description
                    if image.pending_description is None
                    else image.pending_description
                ),
            }
            if not isinstance(request.data, dict):
                raise ValidationError({"non_field_errors": ["Send a JSON object."]})
            body = ImageRenameSerializer(data={**current, **request.data})
            body.is_valid(raise_exception=True)
            try:
                request_rename(image, user=request.user, **body.validated_data)
            except NotAllowed as exc:
                raise Refused(str(exc)) from exc
        return image_response(request, pk, status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: ACCEPTED}, parameters=[IF_MATCH])
    def delete(self, request, pk: int):
        """Delete at Contabo: the image shows `deleting` until Contabo confirms."""
        scope.require_manager(request)
        with transaction.atomic():
            image = locked_image(request, pk)
            conditions.check_if_match(request, image)
            _refuse(why_unchangeable(image))
            try:
                request_delete(image, user=request.user)
            except NotAllowed as exc:
                raise Refused(str(exc)) from exc
        return image_response(request, pk, status.HTTP_202_ACCEPTED)


def _refuse(reason: str | None) -> None:
    if reason:
        raise Refused(reason)


class ImageRetryView(AccountView):
    @extend_schema(request=ImageRetrySerializer, responses={202: ACCEPTED})
    def post(self, request, pk: int):
        """A new download of a failed image; `remove_failed` also deletes the failed one.
        Answers with the new image."""
        scope.require_manager(request)
        image = get_image(request, pk)
        body = ImageRetrySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            new = lineage.request_retry(
                image, user=request.user, remove_failed=body.validated_data["remove_failed"]
            )
        except NotAllowed as exc:
            raise Refused(str(exc)) from exc
        return image_response(request, new.pk, status.HTTP_202_ACCEPTED)


class ImageReplaceView(AccountView):
    @extend_schema(request=ImageReplaceSerializer, responses={202: ACCEPTED})
    def post(self, request, pk: int):
        """A new version of a downloaded image; `delete_old` deletes this one once the new
        one is downloaded. Answers with the new image."""
        scope.require_manager(request)
        image = get_image(request, pk)
        _refuse(lineage.why_not_replaceable(image))
        body = ImageReplaceSerializer(
            data=request.data,
            form_kwargs={"current": image, "duplicate_guard": True, "account": request.account},
        )
        if not body.is_valid():
            duplicate_problem(request, body)
            raise ValidationError(body.errors)
        data = dict(body.validated_data)
        delete_old = data.pop("delete_old")
        try:
            new = lineage.request_replace(
                image, user=request.user, delete_old_when_done=delete_old, **data
            )
        except NotAllowed as exc:
            raise Refused(str(exc)) from exc
        return image_response(request, new.pk, status.HTTP_202_ACCEPTED)
