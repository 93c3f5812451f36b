"""Wire format of every ContaboClient operation (mocked with ``responses``)."""

import json
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from images.contabo import (
    ContaboClient,
    ContaboConfig,
    CreatedImage,
    Deleted,
    ImagePage,
    Stats,
    UpdatedImage,
)
from tests.unit import examples

API = "https://api.example.test"
AUTH = "https://auth.example.test/auth/realms/contabo/protocol/openid-connect/token"
IMAGES = f"{API}/v1/compute/images"
IMAGE_ID = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"
# x-request-id pattern from images-openapi.json.
REQUEST_ID = re.compile(
    r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-5][0-9A-Fa-f]{3}-[089abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
)

IMAGE = examples.IMAGE
IDS = {"tenantId": "DE", "customerId": "54321", "imageId": IMAGE_ID}
SELF = {"self": f"/v1/compute/images/{IMAGE_ID}"}
STATS = examples.STATS_DATA


def list_body(page=1, total_pages=1, count=1, size=100):
    items = [{**IMAGE, "imageId": f"img-{page}-{i}", "tags": []} for i in range(count)]
    return {
        "_pagination": {
            "size": size,
            "totalElements": count * total_pages,
            "totalPages": total_pages,
            "page": page,
        },
        "data": items,
        "_links": {"self": "/v1/compute/images", "first": "...", "last": "..."},
    }


@pytest.fixture
def rsps():
    with responses.RequestsMock() as mock:
        mock.post(AUTH, json={"access_token": "tok-1", "expires_in": 300})
        yield mock


@pytest.fixture
def client():
    config = ContaboConfig(
        API, AUTH, "client-id", "client-secret", "user@example.com", "api-password",
        connect_timeout=2.5, read_timeout=12.0,
    )  # fmt: skip
    with ContaboClient(config) as c:
        yield c


def api_calls(mock):
    return [c for c in mock.calls if not c.request.url.startswith(AUTH)]


def query(call):
    return parse_qs(urlsplit(call.request.url).query, keep_blank_values=True)


def test_list_images_query_with_repeated_order_by_and_boolean(rsps, client):
    rsps.get(IMAGES, json=list_body())
    client.list_images(
        page=2,
        size=25,
        order_by=["name:asc", "sizeMb:desc"],
        name="Ubuntu",
        standard_image=False,
        search="windows or Debian",
    )
    [call] = api_calls(rsps)
    assert call.request.method == "GET"
    assert urlsplit(call.request.url).path == "/v1/compute/images"
    assert "orderBy=name%3Aasc&orderBy=sizeMb%3Adesc" in call.request.url
    assert query(call) == {
        "page": ["2"],
        "size": ["25"],
        "orderBy": ["name:asc", "sizeMb:desc"],
        "name": ["Ubuntu"],
        "standardImage": ["false"],
        "search": ["windows or Debian"],
    }


def test_list_images_defaults_omit_none_filters(rsps, client):
    rsps.get(IMAGES, json=list_body())
    client.list_images(standard_image=True)
    client.list_images()
    first, second = api_calls(rsps)
    assert query(first) == {"page": ["1"], "size": ["100"], "standardImage": ["true"]}
    assert query(second) == {"page": ["1"], "size": ["100"]}


def test_single_order_by_string_is_one_parameter(rsps, client):
    rsps.get(IMAGES, json=list_body())
    client.list_images(order_by="name:asc")
    assert query(api_calls(rsps)[0])["orderBy"] == ["name:asc"]


def test_headers_fresh_uuid4_request_id_bearer_and_no_trace_by_default(rsps, client):
    rsps.get(IMAGES, json=list_body())
    pages = [client.list_images(), client.list_images()]
    ids = [c.request.headers["x-request-id"] for c in api_calls(rsps)]
    for call, rid, page in zip(api_calls(rsps), ids, pages, strict=True):
        assert REQUEST_ID.match(rid)
        assert uuid.UUID(rid).version == 4
        assert call.request.headers["Authorization"] == "Bearer tok-1"
        assert "x-trace-id" not in call.request.headers
        assert page.request_id == rid
    assert ids[0] != ids[1]


def test_trace_id_passthrough_on_every_operation(rsps, client):
    rsps.get(IMAGES, json=list_body())
    rsps.get(f"{IMAGES}/{IMAGE_ID}", json={"data": [IMAGE], "_links": SELF})
    rsps.post(IMAGES, json={"data": [IDS], "_links": SELF}, status=201)
    rsps.patch(f"{IMAGES}/{IMAGE_ID}", json={"data": [IDS], "_links": SELF})
    rsps.delete(f"{IMAGES}/{IMAGE_ID}", status=204)
    rsps.get(f"{IMAGES}/stats", json={"data": [STATS], "_links": {"self": "x"}})
    trace = "workflow-42"
    client.list_images(trace_id=trace)
    client.get_image(IMAGE_ID, trace_id=trace)
    client.create_image(
        name="n", url="https://x/a.iso", os_type="Linux", version="1", trace_id=trace
    )
    client.update_image(IMAGE_ID, name="n2", trace_id=trace)
    client.delete_image(IMAGE_ID, trace_id=trace)
    client.get_stats(trace_id=trace)
    calls = api_calls(rsps)
    assert len(calls) == 6
    assert {c.request.headers["x-trace-id"] for c in calls} == {trace}
    assert len({c.request.headers["x-request-id"] for c in calls}) == 6


def test_get_image_path_and_result(rsps, client):
    rsps.get(f"{IMAGES}/{IMAGE_ID}", json={"data": [IMAGE], "_links": SELF})
    image = client.get_image(IMAGE_ID)
    [call] = api_calls(rsps)
    assert call.request.method == "GET"
    assert image.image_id == IMAGE_ID
    assert image.request_id == call.request.headers["x-request-id"]


def test_image_id_is_quoted_into_one_path_segment(rsps, client):
    rsps.get(f"{IMAGES}/a%20b%2Fc%3Fd", json={"data": [IMAGE], "_links": SELF})
    client.get_image("a b/c?d")
    assert urlsplit(api_calls(rsps)[0].request.url).path == "/v1/compute/images/a%20b%2Fc%3Fd"


@pytest.mark.parametrize("bad", ["", ".", ".."])
def test_invalid_image_ids_are_rejected_before_sending(client, bad):
    with pytest.raises(ValueError):
        client.get_image(bad)


def test_create_image_json_body_without_description(rsps, client):
    rsps.post(IMAGES, json={"data": [IDS], "_links": SELF}, status=201)
    created = client.create_image(
        name="Ubuntu Custom Image",
        url="https://example.com/image.qcow2",
        os_type="Linux",
        version="20.04.2",
    )
    [call] = api_calls(rsps)
    assert call.request.method == "POST"
    assert call.request.headers["Content-Type"] == "application/json"
    assert json.loads(call.request.body) == {
        "name": "Ubuntu Custom Image",
        "url": "https://example.com/image.qcow2",
        "osType": "Linux",
        "version": "20.04.2",
    }
    assert created == CreatedImage(IMAGE_ID, "DE", "54321")
    assert created.request_id == call.request.headers["x-request-id"]


def test_create_image_with_description(rsps, client):
    rsps.post(IMAGES, json={"data": [IDS], "_links": SELF}, status=201)
    client.create_image(
        name="n", url="https://x/a.iso", os_type="Windows", version="11", description="d"
    )
    body = json.loads(api_calls(rsps)[0].request.body)
    assert body["description"] == "d"
    assert body["osType"] == "Windows"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"name": "new"}, {"name": "new"}),
        ({"description": ""}, {"description": ""}),
        ({"name": "a", "description": "b"}, {"name": "a", "description": "b"}),
    ],
)
def test_update_image_sends_only_given_fields(rsps, client, kwargs, expected):
    rsps.patch(f"{IMAGES}/{IMAGE_ID}", json={"data": [IDS], "_links": SELF})
    updated = client.update_image(IMAGE_ID, **kwargs)
    [call] = api_calls(rsps)
    assert call.request.method == "PATCH"
    assert call.request.headers["Content-Type"] == "application/json"
    assert json.loads(call.request.body) == expected
    assert updated == UpdatedImage(IMAGE_ID, call.request.headers["x-request-id"])


def test_update_image_without_fields_is_an_error(client):
    with pytest.raises(ValueError):
        client.update_image(IMAGE_ID)


def test_delete_image_204(rsps, client):
    rsps.delete(f"{IMAGES}/{IMAGE_ID}", status=204)
    deleted = client.delete_image(IMAGE_ID)
    [call] = api_calls(rsps)
    assert call.request.method == "DELETE"
    assert call.request.body is None
    assert deleted == Deleted(IMAGE_ID, call.request.headers["x-request-id"])


def test_get_stats_path_is_not_taken_as_an_image_id(rsps, client):
    rsps.get(f"{IMAGES}/stats", json={"data": [STATS], "_links": {"self": "x"}})
    stats = client.get_stats()
    [call] = api_calls(rsps)
    assert urlsplit(call.request.url).path == "/v1/compute/images/stats"
    assert stats == Stats("DE", "54321", 4, 102400.0, 55000.0, 47400.0)
    assert stats.request_id == call.request.headers["x-request-id"]


def test_list_images_returns_typed_page(rsps, client):
    rsps.get(IMAGES, json=list_body(count=3, total_pages=2))
    page = client.list_images()
    assert isinstance(page, ImagePage)
    assert [i.image_id for i in page.images] == ["img-1-0", "img-1-1", "img-1-2"]
    assert (page.total_pages, page.total_elements) == (2, 6)


def test_iter_images_walks_pages_lazily_and_stops_at_total_pages(rsps, client):
    for n in (1, 2, 3):
        rsps.get(
            IMAGES,
            json=list_body(page=n, total_pages=3, count=2, size=2),
            match=[responses.matchers.query_param_matcher({"page": str(n), "size": "2"})],
        )
    images = client.iter_images(size=2)
    assert next(images).image_id == "img-1-0"
    assert len(api_calls(rsps)) == 1
    rest = [i.image_id for i in images]
    assert rest == ["img-1-1", "img-2-0", "img-2-1", "img-3-0", "img-3-1"]
    assert [query(c)["page"] for c in api_calls(rsps)] == [["1"], ["2"], ["3"]]


def test_iter_pages_without_totals_stops_when_a_page_repeats_the_one_before(rsps, client):
    body = list_body(count=2, size=2)
    del body["_pagination"]["totalPages"], body["_pagination"]["totalElements"]
    rsps.get(IMAGES, json=body)  # every page number answers page 1: an API ignoring `page`
    pages = list(client.iter_pages(size=2))
    assert len(pages) == 2
    assert [query(c)["page"] for c in api_calls(rsps)] == [["1"], ["2"]]


def test_iter_images_passes_filters_and_stops_on_empty_result(rsps, client):
    rsps.get(IMAGES, json=list_body(count=0, total_pages=0))
    assert list(client.iter_images(name="x", standard_image=False, trace_id="t")) == []
    [call] = api_calls(rsps)
    assert query(call) == {
        "page": ["1"],
        "size": ["100"],
        "name": ["x"],
        "standardImage": ["false"],
    }
    assert call.request.headers["x-trace-id"] == "t"


def test_timeouts_on_token_and_api_calls(rsps, client):
    rsps.get(IMAGES, json=list_body())
    client.list_images()
    assert [c.request.req_kwargs["timeout"] for c in rsps.calls] == [(2.5, 12.0), (2.5, 12.0)]


def test_trailing_slash_in_api_url_is_ignored(rsps):
    config = ContaboConfig(f"{API}/", AUTH, "c", "s", "u", "p")
    rsps.get(f"{IMAGES}/stats", json={"data": [STATS], "_links": {"self": "x"}})
    ContaboClient(config).get_stats()
    assert api_calls(rsps)[0].request.url == f"{IMAGES}/stats"
