"""Top-level routes: auth, admin, the images app, its JSON API."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from images.views import tokens

# Sign in, sign out, change one's password, one's API tokens. Not django.contrib.auth.urls as a
# whole: its password-reset pages would be public, unstyled and mail-dependent; admins reset
# passwords.
auth_urls = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    # Personal API tokens (images.views.tokens): made, listed and revoked by their user.
    path("tokens/", tokens.token_list, name="api_tokens"),
    path("tokens/<int:pk>/revoke/", tokens.revoke, name="api_token_revoke"),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="images:list", permanent=False)),
    path("accounts/", include(auth_urls)),
    path("admin/", admin.site.urls),
    path("images/", include("images.urls")),
    path("api/", include("images.api.urls")),
]
