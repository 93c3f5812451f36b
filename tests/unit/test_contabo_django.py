"""Django glue: settings factory and the cache-backed token store (no database)."""

import pytest
import responses
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from images.contabo import ContaboClient, ContaboConfig
from images.contabo.auth import Token, token_key
from images.contabo.django import DjangoCacheTokenStore, config_from_settings, get_client
from tests.unit import examples

API = "https://api.example.test"
AUTH = "https://auth.example.test/token"
STATS = examples.STATS_BODY


@pytest.fixture
def contabo_settings(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "contabo-token-tests",
        }
    }
    settings.CONTABO_API_URL = API
    settings.CONTABO_AUTH_URL = AUTH
    settings.CONTABO_CLIENT_ID = "cid"
    settings.CONTABO_CLIENT_SECRET = "csecret"
    settings.CONTABO_API_USER = "me@example.com"
    settings.CONTABO_API_PASSWORD = "pw"
    settings.CONTABO_CONNECT_TIMEOUT = 3
    settings.CONTABO_READ_TIMEOUT = 20
    cache.clear()
    yield settings
    cache.clear()


def test_config_from_settings(contabo_settings):
    assert config_from_settings() == ContaboConfig(
        API, AUTH, "cid", "csecret", "me@example.com", "pw", connect_timeout=3.0, read_timeout=20.0
    )


def test_timeouts_are_optional(contabo_settings):
    del contabo_settings.CONTABO_CONNECT_TIMEOUT
    del contabo_settings.CONTABO_READ_TIMEOUT
    assert config_from_settings().timeout == (5.0, 30.0)


def test_missing_settings_are_named(contabo_settings):
    contabo_settings.CONTABO_CLIENT_SECRET = ""
    del contabo_settings.CONTABO_API_PASSWORD
    with pytest.raises(ImproperlyConfigured) as exc:
        config_from_settings()
    assert "CONTABO_CLIENT_SECRET" in str(exc.value)
    assert "CONTABO_API_PASSWORD" in str(exc.value)


def test_get_client_is_reused_per_config(contabo_settings):
    client = get_client()
    assert isinstance(client, ContaboClient)
    assert get_client() is client
    contabo_settings.CONTABO_READ_TIMEOUT = 21
    assert get_client() is not client


def test_cache_store_round_trip_and_expiry(contabo_settings):
    store = DjangoCacheTokenStore()
    token = Token("access", 1.0, 9e9, "refresh", 9e9)
    store.set("k", token)
    assert store.get("k") == token
    store.delete("k")
    assert store.get("k") is None
    cache.set("k", {"unexpected": "layout"})
    assert store.get("k") is None


def test_cache_store_shares_token_between_clients(contabo_settings):
    config = config_from_settings()
    with responses.RequestsMock() as rsps:
        rsps.post(AUTH, json={"access_token": "shared", "expires_in": 300})
        rsps.get(f"{API}/v1/compute/images/stats", json=STATS)
        # Two clients with separate stores stand in for two processes sharing the cache.
        ContaboClient(config, token_store=DjangoCacheTokenStore()).get_stats()
        ContaboClient(config, token_store=DjangoCacheTokenStore()).get_stats()
        assert len([c for c in rsps.calls if c.request.url == AUTH]) == 1
    stored = cache.get(token_key(config))
    assert stored["access_token"] == "shared"
    assert "csecret" not in token_key(config)
