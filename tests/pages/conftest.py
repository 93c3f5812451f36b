"""Fixtures for the page tests: one logged-in client per role."""

import pytest

from tests.pages.factories import make_user


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Templates resolve {% static %} without a collectstatic manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def viewer(db):
    return make_user("vera", role="viewer")


@pytest.fixture
def manager(db):
    return make_user("manu", role="manager")


@pytest.fixture
def superuser(db):
    return make_user("root", superuser=True)


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client
