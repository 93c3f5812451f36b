"""What every API view shares: the request's account, its role check for writes, and the
answer a write gets (202 with the image's URL, state and ETag)."""

from django.urls import reverse
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from images import selectors
from images.api import conditions, scope
from images.api.serializers import ImageDetailSerializer
from images.models import Image


class AccountView(APIView):
    """A view about one account (`request.account`, see images.api.scope)."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, permissions, throttling
        request.account = scope.account_of(request)


def get_image(request, pk: int) -> Image:
    """An image of the request's account with its audit trail and versions; another
    account's is a 404, like a missing one."""
    try:
        image = selectors.image_detail(request.account, pk)
    except Image.DoesNotExist as exc:
        raise NotFound("No such image.") from exc
    image.api_events = selectors.image_events(image)
    image.api_versions = selectors.versions(image)
    return image


def locked_image(request, pk: int) -> Image:
    """The image read under a row lock (inside the caller's transaction), for If-Match."""
    try:
        return Image.objects.select_for_update().get(pk=pk, account=request.account)
    except Image.DoesNotExist as exc:
        raise NotFound("No such image.") from exc


def image_response(request, pk: int, code: int = status.HTTP_200_OK, **headers) -> Response:
    """The image as it is now, with its ETag; a 202 (an accepted write) also says where it is."""
    image = get_image(request, pk)
    data = ImageDetailSerializer(image, context={"request": request}).data
    headers["ETag"] = conditions.etag(image)
    if code == status.HTTP_202_ACCEPTED:
        headers["Location"] = request.build_absolute_uri(reverse("api:image", args=[pk]))
    return Response(data, status=code, headers=headers)
