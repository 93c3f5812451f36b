"""Top-level routes: auth, admin, the images app."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

# Sign in, sign out and change one's password. Not django.contrib.auth.urls as a whole: its
# password-reset pages would be public, unstyled and mail-dependent; admins reset passwords.
auth_urls = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="images:list", permanent=False)),
    path("accounts/", include(auth_urls)),
    path("admin/", admin.site.urls),
    path("images/", include("images.urls")),
]
