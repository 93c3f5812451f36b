"""Fixtures for the reliability suite: users per role, the fault table, the secrets collector.

The fault table collects one row per fault-matrix test and is printed at the end of the run
(and written to var/reliability/fault-table.md, var/ being ignored by git).
"""

import pytest

from tests.pages.factories import make_user
from tests.reliability.harness import FAULT_ROWS, format_table


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
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture(scope="session")
def fault_table():
    """Rows of the fault table, appended by each fault-matrix test."""
    return FAULT_ROWS


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not FAULT_ROWS:
        return
    from django.conf import settings

    table = format_table(FAULT_ROWS)
    terminalreporter.write_sep("=", "fault matrix")
    terminalreporter.write_line(table)
    out = settings.BASE_DIR / "var" / "reliability"
    out.mkdir(parents=True, exist_ok=True)
    (out / "fault-table.md").write_text(table + "\n")
