"""Dialects: the sandbox answering the way the real API might (sandbox/dialect.py)."""

import pytest
import requests

from sandbox.__main__ import parse_args
from testkit.waiting import wait_for
from tests.sandbox.conftest import IMAGES
from tests.sandbox.test_auth import _password_form


def _one(api, image_id):
    return api.get(f"{IMAGES}/{image_id}").json()["data"][0]


def test_null_missing_and_extra_fields_on_images_and_stats(sandbox, api):
    [image_id] = sandbox.seed(1)
    sandbox.set_faults(
        null_fields="errorMessage,uploadedSizeMb,freeSizeMb",
        missing_fields="description,usedSizeMb",
        extra_fields=True,
    )
    listed = api.get(IMAGES, params={"standardImage": "false"}).json()
    item = listed["data"][0]
    assert item["errorMessage"] is None and item["uploadedSizeMb"] is None
    assert "description" not in item and item["region"] == {"name": "EU", "code": "eu-1"}
    assert "_meta" in listed
    assert _one(api, image_id)["errorMessage"] is None
    stats = api.get(f"{IMAGES}/stats").json()["data"][0]
    assert stats["freeSizeMb"] is None and "usedSizeMb" not in stats
    assert stats["currentImagesLimit"] == 50


def test_numbers_as_text_and_malformed_ids(sandbox, api):
    first, second = sandbox.seed(2, sizeMb=12.5, uploadedSizeMb=12.5)
    sandbox.set_faults(numbers_as_text=True, malformed_ids=second)
    assert _one(api, first)["sizeMb"] == "12.5"
    assert _one(api, second)["sizeMb"] == "n/a"
    assert api.get(f"{IMAGES}/stats").json()["data"][0]["currentImagesCount"] == "2"


def test_imageid_cannot_be_nulled(sandbox):
    with pytest.raises(RuntimeError, match="imageId"):
        sandbox.set_faults(null_fields="name,imageId")


def test_unknown_inflight_status_and_bytes_only_at_the_end(sandbox, api):
    sandbox.set_faults(inflight_status="processing", progress_at_end=True, bandwidth_mbps=2)
    body = {
        "name": "slow",
        "url": sandbox.file_url("slow.qcow2", 3),
        "osType": "Linux",
        "version": "1",
    }
    image_id = api.request("POST", IMAGES, json=body).json()["data"][0]["imageId"]
    running = wait_for(lambda: (i := _one(api, image_id))["sizeMb"] and i, message="a size")
    assert (running["status"], running["uploadedSizeMb"]) == ("processing", 0)
    done = wait_for(lambda: (i := _one(api, image_id))["status"] == "downloaded" and i, timeout=30)
    assert done["uploadedSizeMb"] == done["sizeMb"] == 3


def test_refused_order_by_and_page_size_cap(sandbox, api):
    sandbox.seed(7)
    sandbox.set_faults(refuse_order_by="creationDate", page_size_cap=3)
    refused = api.get(IMAGES, params={"orderBy": "creationDate:desc"})
    assert refused.status_code == 400 and "creationDate" in refused.json()["message"]
    page = api.get(IMAGES, params={"orderBy": "name:asc", "size": 100, "standardImage": "false"})
    assert page.status_code == 200
    assert len(page.json()["data"]) == 3
    assert page.json()["_pagination"] == {
        "size": 3,
        "totalElements": 7,
        "totalPages": 3,
        "page": 1,
    }
    sandbox.set_faults(refuse_order_by="*")
    assert api.get(IMAGES, params={"orderBy": "name:asc"}).status_code == 400


def test_token_flaps_answer_invalid_grant_for_good_credentials(sandbox):
    sandbox.set_faults(token_flaps=2)
    form = _password_form(sandbox)
    answers = [requests.post(sandbox.token_url, data=form, timeout=10) for _ in range(3)]
    assert [a.status_code for a in answers] == [401, 401, 200]
    assert answers[0].json()["error"] == "invalid_grant"
    assert sandbox.faults()["token_flaps"] == 0


def test_dialects_from_the_command_line():
    settings, _ = parse_args(
        ["--inflight-status", "processing", "--page-size-cap", "50", "--null-fields", "url"]
    )
    assert (settings.inflight_status, settings.page_size_cap) == ("processing", 50)
    assert settings.null_fields == "url"


def test_an_unstable_order_overlaps_pages(sandbox, api):
    sandbox.seed(20)
    sandbox.set_faults(unstable_order=True)

    def ids_over_pages():
        ids = []
        for page in (1, 2, 3, 4):
            params = {"page": page, "size": 5, "standardImage": "false"}
            body = api.get(IMAGES, params=params).json()
            assert body["_pagination"]["totalElements"] == 20
            ids += [i["imageId"] for i in body["data"]]
        return ids

    walks = [ids_over_pages() for _ in range(5)]
    assert all(len(w) == 20 for w in walks)
    assert any(len(set(w)) < 20 for w in walks)  # some image seen twice, another missed
