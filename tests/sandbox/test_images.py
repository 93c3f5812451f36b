"""The six operations: headers, envelope and required fields, writes and their error answers."""

import re

import pytest

from testkit.waiting import wait_for
from tests.sandbox.conftest import IMAGES

DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
IMAGE_FIELDS = {
    "imageId": str,
    "tenantId": str,
    "customerId": str,
    "name": str,
    "description": str,
    "url": str,
    "sizeMb": (int, float),
    "uploadedSizeMb": (int, float),
    "osType": str,
    "version": str,
    "format": str,
    "status": str,
    "errorMessage": str,
    "standardImage": bool,
    "creationDate": str,
    "lastModifiedDate": str,
}
UBUNTU = "3f184ab8-a600-4e7c-8c9b-3413e21a3752"  # a seeded standard image
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def assert_image(image: dict, *, listed: bool) -> None:
    expected = {**IMAGE_FIELDS, "tags": list} if listed else IMAGE_FIELDS
    assert set(image) == set(expected)
    for field, kind in expected.items():
        assert isinstance(image[field], kind), (field, image[field])
    assert image["tenantId"] in ("DE", "INT")
    assert image["format"] in ("iso", "qcow2")
    assert DATE.match(image["creationDate"]) and DATE.match(image["lastModifiedDate"])


def all_operations(image_id: str):
    body = {"name": "n", "url": "http://127.0.0.1:9/x.qcow2", "osType": "Linux", "version": "1"}
    return [
        ("GET", IMAGES, None),
        ("POST", IMAGES, body),
        ("GET", f"{IMAGES}/stats", None),
        ("GET", f"{IMAGES}/{image_id}", None),
        ("PATCH", f"{IMAGES}/{image_id}", {"name": "renamed"}),
        ("DELETE", f"{IMAGES}/{image_id}", None),
    ]


@pytest.mark.parametrize("request_id", [None, "", "not-a-uuid", "04e0f898-37b4-48bc-a794"])
def test_every_operation_requires_a_valid_x_request_id(sandbox, api, request_id):
    image_id = sandbox.seed(1)[0]
    for method, path, body in all_operations(image_id):
        headers = {"x-request-id": request_id} if request_id is not None else {}
        if request_id is None:
            response = api.session.request(
                method,
                sandbox.url + path,
                json=body,
                timeout=10,
                headers={"Authorization": f"Bearer {api.token}"},
            )
        else:
            response = api.request(method, path, json=body, headers=headers)
        assert response.status_code == 400, (method, path, response.text)
        assert set(response.json()) == {"statusCode", "message"}
        assert response.json()["statusCode"] == 400


def test_upper_case_request_id_and_any_trace_id_are_fine(api):
    headers = {"x-request-id": "51A87ECD-754E-4104-9C54-D01AD0F83406", "x-trace-id": "123213"}
    assert api.get(IMAGES, headers=headers).status_code == 200


def test_list_envelope_and_items_carry_every_required_field(api):
    body = api.listing()
    assert set(body) == {"_pagination", "data", "_links"}
    assert body["_pagination"] == {"size": 10, "totalElements": 7, "totalPages": 1, "page": 1}
    assert body["_links"] == {
        "self": f"{IMAGES}?page=1",
        "first": f"{IMAGES}?page=1",
        "last": f"{IMAGES}?page=1",
    }
    for image in body["data"]:
        assert_image(image, listed=True)
        assert image["standardImage"] is True
        assert image["status"] == "downloaded"
        assert image["errorMessage"] == ""


def test_get_by_id_has_no_tags(api):
    response = api.get(f"{IMAGES}/{UBUNTU}")
    assert response.status_code == 200
    body = response.json()
    assert body["_links"] == {"self": f"{IMAGES}/{UBUNTU}"}
    assert_image(body["data"][0], listed=False)


def test_create_returns_201_with_the_short_shape_then_get_shows_it(sandbox, api):
    response = api.request(
        "POST",
        IMAGES,
        json={
            "name": "Ubuntu Custom Image",
            "description": "Ubuntu Server 20.04.2 LTS",
            "url": sandbox.file_url("custom.iso", 0.5),
            "osType": "Linux",
            "version": "20.04.2",
        },
    )
    assert response.status_code == 201
    body = response.json()
    image_id = body["data"][0]["imageId"]
    assert body == {
        "data": [{"tenantId": "DE", "customerId": "12345", "imageId": image_id}],
        "_links": {"self": f"{IMAGES}/{image_id}"},
    }
    image = api.image(image_id)
    assert_image(image, listed=False)
    assert image["format"] == "iso"
    assert image["standardImage"] is False
    assert image["status"] in ("downloading", "downloaded")


def test_description_is_optional_and_defaults_to_empty(sandbox, api):
    image_id = api.create(sandbox.file_url("plain.qcow2", 0.1))
    assert api.image(image_id)["description"] == ""


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"url": "http://x/a.qcow2", "osType": "Linux", "version": "1"},
        {"name": "n", "osType": "Linux", "version": "1"},
        {"name": "n", "url": "http://x/a.qcow2", "version": "1"},
        {"name": "n", "url": "http://x/a.qcow2", "osType": "Linux"},
        {"name": "n", "url": "http://x/a.qcow2", "osType": "linux", "version": "1"},
        {"name": "n", "url": "http://x/a.qcow2", "osType": "Linux", "version": 1},
        {
            "name": "n",
            "url": "http://x/a.qcow2",
            "osType": "Linux",
            "version": "1",
            "description": 5,
        },
    ],
)
def test_create_body_validation_is_400(api, body):
    response = api.request("POST", IMAGES, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["statusCode"] == 400


def test_malformed_json_is_400(api):
    response = api.request(
        "POST",
        IMAGES,
        data=b"{not json",
        headers={
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/image.zip",
        "https://example.com/image",
        "https://example.com/a.qcow2.gz",
        "https://example.com/download?file=a.qcow2",
    ],
)
def test_url_that_is_not_iso_or_qcow2_is_415_with_the_spec_body(api, url):
    body = {"name": "n", "url": url, "osType": "Linux", "version": "1"}
    response = api.request("POST", IMAGES, json=body)
    assert response.status_code == 415
    assert response.json() == {"message": "Unsupported Media Type", "statusCode": 415}


def test_format_comes_from_the_url_path_suffix(sandbox, api):
    qcow = api.create(sandbox.file_url("a.QCOW2", 0.1))
    iso = api.create(sandbox.file_url("b.iso", 0.1))
    assert api.image(qcow)["format"] == "qcow2"
    assert api.image(iso)["format"] == "iso"


def test_patch_renames_and_returns_the_short_shape(sandbox, api):
    image_id = sandbox.seed(1)[0]
    response = api.request(
        "PATCH",
        f"{IMAGES}/{image_id}",
        json={
            "name": "renamed",
            "description": "new description",
        },
    )
    assert response.status_code == 200
    assert response.json() == {
        "data": [{"tenantId": "DE", "customerId": "12345", "imageId": image_id}],
        "_links": {"self": f"{IMAGES}/{image_id}"},
    }
    image = api.image(image_id)
    assert (image["name"], image["description"]) == ("renamed", "new description")


def test_patch_body_validation_is_400(sandbox, api):
    image_id = sandbox.seed(1)[0]
    for body in ([], {"name": 3}, {"description": None}):
        response = api.request("PATCH", f"{IMAGES}/{image_id}", json=body)
        assert response.status_code == 400, body


def test_delete_is_204_with_an_empty_body_then_404(sandbox, api):
    image_id = sandbox.seed(1)[0]
    response = api.request("DELETE", f"{IMAGES}/{image_id}", data="{}")
    assert response.status_code == 204
    assert response.content == b""
    assert api.get(f"{IMAGES}/{image_id}").status_code == 404


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_unknown_ids_are_404(api, method):
    response = api.request(method, f"{IMAGES}/{UNKNOWN}", json={"name": "x"})
    assert response.status_code == 404
    assert response.json()["statusCode"] == 404
    assert set(response.json()) == {"statusCode", "message"}


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_standard_images_refuse_changes_with_403(api, method):
    response = api.request(method, f"{IMAGES}/{UBUNTU}", json={"name": "mine now"})
    assert response.status_code == 403
    assert response.json()["statusCode"] == 403
    assert response.json()["message"]
    assert api.image(UBUNTU)["name"] == "ubuntu-22.04"


def test_undeclared_methods_are_405_with_allow(api):
    response = api.request("PUT", IMAGES)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"
    assert api.request("POST", f"{IMAGES}/stats").headers["Allow"] == "GET"


def test_stats_describe_custom_images_only(sandbox, api):
    def stats():
        body = api.get(f"{IMAGES}/stats").json()
        assert body["_links"] == {"self": f"{IMAGES}/stats"}
        return body["data"][0]

    assert stats() == {
        "tenantId": "DE",
        "customerId": "12345",
        "currentImagesCount": 0,
        "totalSizeMb": 102400,
        "usedSizeMb": 0,
        "freeSizeMb": 102400,
    }
    sandbox.seed(3, sizeMb=100.25)
    failed = sandbox.seed(1, sizeMb=500, status="error", errorMessage="boom")[0]
    image_id = api.create(sandbox.file_url("s.qcow2", 1.5))
    wait_for(lambda: api.image(image_id)["status"] == "downloaded", message="download")
    assert stats() == {
        "tenantId": "DE",
        "customerId": "12345",
        "currentImagesCount": 5,
        "totalSizeMb": 102400,
        "usedSizeMb": 302.25,
        "freeSizeMb": 102097.75,
    }
    api.request("DELETE", f"{IMAGES}/{failed}")
    assert stats()["currentImagesCount"] == 4


def test_create_is_402_when_the_quota_is_used_up(sandbox, api):
    sandbox.set_faults(quota_mb=1000)
    sandbox.seed(1, sizeMb=1000)
    body = {"name": "n", "url": sandbox.file_url("q.qcow2", 1), "osType": "Linux", "version": "1"}
    response = api.request("POST", IMAGES, json=body)
    assert response.status_code == 402
    assert response.json()["statusCode"] == 402
    assert "storage" in response.json()["message"]
