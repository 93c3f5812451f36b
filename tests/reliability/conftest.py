"""Fixtures for the reliability suite: the fault table and the secrets collector.

The fault table collects one row per fault-matrix test and is printed at the end of the run
(and written to var/reliability/fault-table.md, var/ being ignored by git).
"""

import logging

import pytest

from tests.reliability.harness import FAULT_ROWS, format_table


class Collector(logging.Handler):
    """Keeps the formatted text (with tracebacks) of every record logged during the run."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.texts.append(self.format(record))
        except Exception:  # a record that cannot be formatted must not break the test
            self.texts.append(repr(record.__dict__))


LOG_COLLECTOR = Collector()


def pytest_configure(config):
    """Attached when this conftest loads (at collection, before any test of the run)."""
    logging.getLogger().addHandler(LOG_COLLECTOR)
    # The API client logs successful calls at DEBUG and urllib3 logs every request line there:
    # let those reach the collector too, so the scan sees every request the run made.
    for name in ("images.contabo", "urllib3"):
        logging.getLogger(name).setLevel(logging.DEBUG)


@pytest.fixture(scope="session")
def session_logs() -> Collector:
    return LOG_COLLECTOR


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
