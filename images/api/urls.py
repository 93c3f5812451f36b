"""Routes of the API: /api/v1/ and its schema and documentation page."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from images.api.docs import DocsView
from images.api.problems import not_found
from images.api.views.account import (
    AccountListView,
    NotificationSettingsView,
    QuotaView,
    RefreshView,
)
from images.api.views.images import (
    ImageDetailView,
    ImageListView,
    ImageReplaceView,
    ImageRetryView,
)
from images.api.views.uploads import PreflightResultView, PreflightView

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
    path("v1/images/", ImageListView.as_view(), name="images"),
    path("v1/images/<int:pk>/", ImageDetailView.as_view(), name="image"),
    path("v1/images/<int:pk>/retry/", ImageRetryView.as_view(), name="retry"),
    path("v1/images/<int:pk>/replace/", ImageReplaceView.as_view(), name="replace"),
    path("v1/preflight/", PreflightView.as_view(), name="preflight"),
    path("v1/preflight/<slug:token>/", PreflightResultView.as_view(), name="preflight_result"),
    path("v1/quota/", QuotaView.as_view(), name="quota"),
    path("v1/refresh/", RefreshView.as_view(), name="refresh"),
    path("v1/accounts/", AccountListView.as_view(), name="accounts"),
    path("v1/me/notifications/", NotificationSettingsView.as_view(), name="notifications"),
    # Anything else under /api/ (an id that is no number, a mistyped path): a problem, not HTML.
    re_path(r"^", not_found, name="not_found"),
]
