"""The recorder (CONTABO_RECORD_DIR): one file per API exchange, nothing that gives access."""

import dataclasses

import pytest
import responses

from images.contabo import ContaboClient, NotFound
from images.contabo.recorder import load
from tests.unit import examples
from tests.unit.test_contabo_auth import AUTH, CONFIG, STATS_URL, token_body


@responses.activate
def test_each_exchange_is_one_file_without_credentials(tmp_path):
    responses.post(AUTH, json=token_body("tok-secret-value"))
    responses.get(
        STATS_URL,
        json={**examples.STATS_BODY, "echo": "client-secret api-password tok-secret-value"},
        headers={"Set-Cookie": "session=abc", "X-Rate-Limit": "10"},
    )
    responses.patch(f"{CONFIG.api_url}/v1/compute/images/x", status=404, json={"message": "no"})
    client = ContaboClient(dataclasses.replace(CONFIG, record_dir=str(tmp_path)))
    client.get_stats(trace_id="t1")
    with pytest.raises(NotFound):
        client.update_image("x", name="new")
    stats, patch = load(tmp_path)
    assert (stats["method"], stats["path"], stats["status"]) == (
        "GET",
        "/v1/compute/images/stats",
        200,
    )
    assert stats["headers"]["X-Rate-Limit"] == "10" and "Set-Cookie" not in stats["headers"]
    assert stats["body"]["echo"] == "*** *** ***"
    assert (patch["method"], patch["status"], patch["request_body"]) == (
        "PATCH",
        404,
        {"name": "new"},
    )
    text = "".join(p.read_text() for p in tmp_path.iterdir())
    for secret in ("tok-secret-value", "client-secret", "api-password", "Bearer", "session=abc"):
        assert secret not in text
    assert len(list(tmp_path.iterdir())) == 2  # the token request is never recorded
