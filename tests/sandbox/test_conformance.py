"""Schemathesis 4 conformance run of the official (trimmed) spec against the live sandbox.

All checks run, positive and negative data, at most 30 examples per operation, with two
documented adjustments where the check contradicts the spec itself:

* `status_code_conformance` is off. The operations declare only their success codes (plus 415
  on create), while the spec's `info.description` documents a generic status table for every
  operation: 400 malformed, 401 bad credentials, 402 needs paid service, 403 not allowed,
  404 not found, 429 rate limit. The sandbox answers exactly those (e.g. 404 for an unknown
  imageId, 400 for a bad x-request-id), which this check would flag as "undocumented".
* `positive_data_acceptance` also accepts, per operation:
  - createCustomImage: 415 (declared by the operation for a URL that is not .iso/.qcow2,
    which the request schema cannot express) and 402 (quota full, generic table);
  - retrieveImageList: 400. The schema types `page`/`size` as bare integers and `orderBy`
    items as bare strings, but the descriptions define 1-based page numbers, a page size and
    the `field:ASC|DESC` format; nonsense such as `size=-3` or `orderBy=nosuchfield:asc` is a
    malformed request (400 in the generic table).
"""

from pathlib import Path

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig

ROOT = Path(__file__).resolve().parents[2]
# The official spec, vendored so a clone is self-contained; test_spec_copy keeps it honest.
SPEC = ROOT / "sandbox" / "spec" / "images-openapi.json"
EXAMPLE_IMAGE_ID = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"  # the spec's example imageId
PLACEHOLDER = "Bearer <sandbox-access-token>"


def _accept(operation_id: str, *statuses: str) -> dict:
    expected = {"expected-statuses": ["2xx", "401", *statuses]}
    return {
        "include-operation-id": operation_id,
        "checks": {"positive_data_acceptance": expected},
    }


CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"mode": "all", "max-examples": 30},
        "checks": {"status_code_conformance": {"enabled": False}},
        "operations": [
            _accept("retrieveImageList", "400"),
            _accept("createCustomImage", "402", "415"),
        ],
    }
)
schema = schemathesis.openapi.from_path(SPEC, config=CONFIG)


@schema.auth(refresh_interval=None, retry_on=[])
class SandboxToken:
    """Marks the cases schemathesis authenticates; the test swaps in a live token at call time.

    Explicit examples are built at collection time, before any sandbox runs, so the real
    token cannot be fetched here. Cases where schemathesis drops or mangles the header on
    purpose (ignored_auth, negative headers) keep whatever it generated.
    """

    def get(self, case, context):
        return PLACEHOLDER

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": data}


@pytest.fixture(scope="module")
def live(sandbox_server):
    """The reset session sandbox and a token (module scope: Hypothesis forbids function scope)."""
    sandbox_server.reset()
    # The example imageId exists, so the explicit examples of GET/PATCH/DELETE by id reach
    # their success answers (200/200/204) and get validated too.
    sandbox_server.seed(1, imageId=EXAMPLE_IMAGE_ID, name="conformance")
    return sandbox_server, f"Bearer {sandbox_server.access_token()}"


@schema.parametrize()
def test_sandbox_conforms_to_the_spec(case, live):
    server, bearer = live
    if case.headers and case.headers.get("Authorization") == PLACEHOLDER:
        case.headers["Authorization"] = bearer
    case.call_and_validate(base_url=server.url)
