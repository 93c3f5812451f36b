"""Our own OpenAPI schema, checked like a client would: schemathesis generates valid and invalid
requests for every operation and runs every check on each answer (no server error, status codes,
content types, headers and bodies as documented, negative data refused, valid data accepted,
authentication enforced, unsupported methods refused)."""

from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from dashboard.wsgi import application
from images.services.tokens import create_token
from testkit.factories import make_image, make_snapshot, make_user

# Every check on. Two settings say how this API is meant to behave:
# - unknown query parameters and headers are ignored (as GitHub's and Stripe's APIs do), so
#   negative cases are not made of extra ones;
# - the input rules (images.validators: schemes, extensions, hosts, control and bidi
#   characters...) say more than JSON Schema can, so a body the schema allows may still be a
#   400 with the rule's message, on the operations that take names and URLs; and the list's
#   `cursor` is opaque: a string we did not make is a 400, as Stripe answers a bad
#   `starting_after`.
CONFIG = """
[checks]
enabled = true

[generation]
max-examples = 15
allow-extra-parameters = false

[[operations]]
include-operation-id = ["images_list", "images_create", "images_partial_update",
                        "images_replace_create", "preflight_create"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409",
                                                     "429"]
"""

# Loaded at collection from the WSGI application (generating the schema reads no database).
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/?format=json", application, config=SchemathesisConfig.from_str(CONFIG)
)


@pytest.fixture
def manager_token(db, settings):
    """A manager's token, a few images and a quota snapshot. The requests go to the application
    in-process inside the test's transaction: as with Django's test client, the connection is
    not closed at the end of each request."""
    settings.API_THROTTLE_RATE = "1000000/minute"
    make_snapshot()
    for _ in range(3):
        make_image()
    _token, secret = create_token(user=make_user("schemathesis", role="manager"), name="st")
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield secret
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


TALLY: dict[str, Counter] = {}


@pytest.fixture(scope="module", autouse=True)
def summary():
    """One line at the end: operations, requests and the status codes they got."""
    yield
    statuses = sum(TALLY.values(), Counter())
    print(
        f"\nschemathesis: {len(TALLY)} operations, {statuses.total()} generated requests, "
        f"every check on each; statuses {dict(sorted(statuses.items()))}"
    )


@schema.parametrize()
# The same examples on every run, so CI is deterministic (without derandomize: new ones).
@settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_keeps_its_own_schema(case, manager_token):
    response = case.call_and_validate(headers={"Authorization": f"Bearer {manager_token}"})
    TALLY.setdefault(case.operation.label, Counter())[response.status_code] += 1
