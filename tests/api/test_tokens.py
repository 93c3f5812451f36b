"""Personal API tokens: hashed at rest, shown once, last use recorded, expiry and revocation
refused with a 401; the token acts with its user's role in each account."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from images.models import ApiToken
from images.services.tokens import TOUCH_EVERY, create_token, digest, revoke_token
from testkit.factories import make_account, make_image, member

pytestmark = pytest.mark.django_db
LIST = reverse("api:images")


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_only_a_digest_is_stored_and_the_repr_hides_the_secret(manager):
    token, secret = create_token(user=manager, name="ci")
    assert secret.startswith("cimg_") and len(secret) > 40
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert secret not in str(row)
    assert row["digest"] == digest(secret)
    assert secret not in repr(token) and secret not in str(token)


def test_last_use_is_recorded_at_most_once_a_minute(manager):
    token, secret = create_token(user=manager, name="ci")
    client = bearer(secret)
    assert client.get(LIST).status_code == 200
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get(LIST)
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - TOUCH_EVERY)
    client.get(LIST)
    token.refresh_from_db()
    assert token.last_used_at > first


def test_revoked_expired_and_unknown_tokens_are_401(manager):
    token, secret = create_token(user=manager, name="ci")
    _expired, expired_secret = create_token(
        user=manager, name="old", expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert bearer(secret).get(LIST).status_code == 200
    assert revoke_token(user=manager, pk=token.pk).revoked_at is not None
    for client in (bearer(secret), bearer(expired_secret), bearer("cimg_nothing")):
        response = client.get(LIST)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
        assert response["Content-Type"] == "application/problem+json"
    malformed = APIClient()
    malformed.credentials(HTTP_AUTHORIZATION="Bearer two parts")
    assert malformed.get(LIST).status_code == 401


def test_nobody_revokes_another_users_token(manager, viewer):
    token, secret = create_token(user=manager, name="ci")
    assert revoke_token(user=viewer, pk=token.pk) is None
    assert bearer(secret).get(LIST).status_code == 200


def test_a_token_acts_with_its_users_role_in_each_account(viewer):
    """Viewer globally (so in the open default account), manager in Bravo: the `account`
    parameter picks which role applies; another account's image is a 404."""
    bravo = make_account("Bravo")
    member(viewer, bravo, "manager")
    hidden = make_account("Hidden")
    in_default = make_image(name="default one")
    in_bravo = make_image(name="bravo one", account=bravo)
    in_hidden = make_image(name="hidden one", account=hidden)
    _token, secret = create_token(user=viewer, name="ci")
    client = bearer(secret)
    body = {"name": "renamed"}
    url = lambda image: reverse("api:image", args=[image.pk])  # noqa: E731
    assert client.patch(url(in_default), body, format="json").status_code == 403
    in_bravo_url = f"{url(in_bravo)}?account={bravo.pk}"
    assert client.patch(in_bravo_url, body, format="json").status_code == 202
    assert (
        client.patch(url(in_bravo), body, format="json", HTTP_X_ACCOUNT=str(bravo.pk)).status_code
        == 202
    )
    assert client.get(url(in_bravo)).status_code == 404  # not in the default account
    assert client.get(f"{url(in_hidden)}?account={hidden.pk}").status_code == 404
    assert client.get(f"{LIST}?account={hidden.pk}").status_code == 404
    names = [r["name"] for r in client.get(f"{LIST}?account={bravo.pk}").json()["results"]]
    assert names == ["bravo one"]
    accounts = client.get(reverse("api:accounts")).json()
    assert {(a["name"], a["role"]) for a in accounts} == {
        ("Default", "viewer"),
        ("Bravo", "manager"),
    }
