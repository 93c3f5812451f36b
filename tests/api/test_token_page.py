"""The API tokens page: a token is made with a name and an optional expiry, its secret shown
in that one answer only, listed with its last use, and revoked by its user alone."""

import pytest
from django.test import Client
from django.urls import reverse

from images.models import ApiToken
from images.services.tokens import digest
from tests.api.test_tokens import bearer

pytestmark = pytest.mark.django_db
PAGE = reverse("api_tokens")


def test_create_shows_the_secret_once_and_it_works(viewer_client, viewer):
    created = viewer_client.post(PAGE, {"name": "backup script", "expires_in": "30"})
    assert created.status_code == 201
    assert "no-store" in created["Cache-Control"]
    secret = created.context["secret"]
    assert secret in created.content.decode()
    token = ApiToken.objects.get(user=viewer)
    assert token.digest == digest(secret)
    assert 29 <= (token.expires_at - token.created_at).days <= 30
    assert bearer(secret).get(reverse("api:images")).status_code == 200
    listed = viewer_client.get(PAGE).content.decode()
    assert "backup script" in listed and token.prefix in listed
    assert secret not in listed  # never again


def test_bad_names_are_refused(viewer_client):
    for name in ("", "x" * 101, "tab\there"):
        assert viewer_client.post(PAGE, {"name": name}).status_code == 400
    assert viewer_client.post(PAGE, {"name": "ok", "expires_in": "12"}).status_code == 400
    assert not ApiToken.objects.exists()


def test_revoke_is_the_owners_alone(viewer_client, viewer, manager):
    manager_client = Client()
    manager_client.force_login(manager)
    viewer_client.post(PAGE, {"name": "mine"})
    token = ApiToken.objects.get(user=viewer)
    assert manager_client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 404
    assert "mine" not in manager_client.get(PAGE).content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
    revoked = viewer_client.post(reverse("api_token_revoke", args=[token.pk]))
    assert revoked.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "revoked" in viewer_client.get(PAGE).content.decode()


def test_the_page_needs_a_login(client):
    assert client.get(PAGE).status_code == 302
    assert client.post(PAGE, {"name": "x"}).status_code == 302
    assert not ApiToken.objects.exists()
