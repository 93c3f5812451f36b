"""The account's quota and a refresh of it; the accounts the caller sees and the caller's
notification settings."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from images import access, selectors
from images.api import scope
from images.api.serializers import (
    AcceptedSerializer,
    AccountSerializer,
    NotificationSettingsSerializer,
    QuotaSerializer,
)
from images.api.views.base import AccountView
from images.forms import NotificationPreferenceForm
from images.models import NotificationPreference
from images.services.intents import request_refresh


class QuotaView(AccountView):
    @extend_schema(responses=QuotaSerializer)
    def get(self, request):
        """Used / free / total as Contabo last reported them, their history (oldest first) and
        what the downloads in flight will still take."""
        history = selectors.quota_history(request.account)
        current = history[-1] if history else None
        in_flight = selectors.in_flight_totals(request.account)
        data = {
            "current": current,
            "in_flight": in_flight,
            "quota_left_mb": selectors.quota_left(current, in_flight["remaining_mb"]),
            "history": history,
        }
        return Response(QuotaSerializer(data).data)


class RefreshView(AccountView):
    @extend_schema(request=None, responses={202: AcceptedSerializer})
    def post(self, request):
        """A full sync with Contabo and fresh quota figures, now rather than on schedule."""
        scope.require_manager(request)
        request_refresh(user=request.user, account=request.account)
        detail = "A full sync and fresh quota figures were requested."
        return Response({"detail": detail}, status=status.HTTP_202_ACCEPTED)


class AccountListView(APIView):
    @extend_schema(responses=AccountSerializer(many=True))
    def get(self, request):
        """The accounts you see, with your role in each; pass one's id as `account` (query) or
        `X-Account` (header) to any other endpoint."""
        accounts = access.visible_accounts(request.user)
        return Response(AccountSerializer(accounts, many=True).data)


class NotificationSettingsView(APIView):
    """Which download outcomes e-mail you, and the address they go to (your user's)."""

    @extend_schema(responses=NotificationSettingsSerializer)
    def get(self, request):
        return Response(_settings(_preference(request)))

    @extend_schema(request=NotificationSettingsSerializer, responses=NotificationSettingsSerializer)
    def put(self, request):
        return self._save(request, {})

    @extend_schema(request=NotificationSettingsSerializer, responses=NotificationSettingsSerializer)
    def patch(self, request):
        return self._save(request, None)

    def _save(self, request, base: dict | None) -> Response:
        preference = _preference(request)
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": ["Send a JSON object."]})
        data = {**(_settings(preference) if base is None else base), **request.data}
        body = NotificationSettingsSerializer(data=data, form_kwargs={"instance": preference})
        body.is_valid(raise_exception=True)
        body.form.save()
        return Response(_settings(preference))


def _preference(request) -> NotificationPreference:
    preference, _ = NotificationPreference.objects.get_or_create(user=request.user)
    return preference


def _settings(preference: NotificationPreference) -> dict:
    """The settings as the page's form shows them (the address is the user's)."""
    form = NotificationPreferenceForm(instance=preference)
    return {name: form[name].value() for name in NotificationSettingsSerializer().fields}
