"""The page tests' fixtures (one logged-in client per role, plain static files), shared here."""

from tests.pages.conftest import (  # noqa: F401 - fixtures, used by name
    _plain_static_storage,
    manager,
    manager_client,
    superuser,
    viewer,
    viewer_client,
)
