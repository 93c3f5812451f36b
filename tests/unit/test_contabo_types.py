"""Parsing of Contabo Images responses into typed results (spec examples, strictness)."""

import copy
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from images.contabo import CreatedImage, Image, ProtocolError, Stats, Tag, UpdatedImage
from images.contabo.types import (
    parse_created,
    parse_image,
    parse_image_page,
    parse_stats,
    parse_updated,
)
from tests.unit import examples

RID = "04e0f898-37b4-48bc-a794-1a57abe6aa31"

# ImageResponse example values, copied from images-openapi.json.
IMAGE = examples.IMAGE
LIST_ITEM = {**IMAGE, "tags": [{"tagId": 12345, "tagName": "Web-Server"}]}
LIST_BODY = {
    "_pagination": {"size": 10, "totalElements": 100, "totalPages": 10, "page": 1},
    "data": [LIST_ITEM],
    "_links": {
        "first": "/v1/compute/images?page=1",
        "self": "/v1/compute/images?page=1",
        "next": "/v1/compute/images?page=2",
        "last": "/v1/compute/images?page=10",
    },
}
SELF = {"self": "/v1/compute/images/9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"}
IDS = {"tenantId": "DE", "customerId": "54321", "imageId": "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"}
STATS = examples.STATS_DATA

EXPECTED_IMAGE = Image(
    image_id="9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d",
    tenant_id="DE",
    customer_id="12345",
    name="Custom Image Ubuntu",
    description="Ubuntu Server 20.04.2 LTS",
    url="https://example.com/image.qcow2",
    size_mb=1024.0,
    uploaded_size_mb=1024.0,
    os_type="Linux",
    version="20.04.2",
    format="iso",
    status="Pending",
    error_message="Error downloading image from provided URL",
    standard_image=True,
    creation_date=datetime(2021, 6, 3, 6, 27, 12, tzinfo=UTC),
    last_modified_date=datetime(2021, 6, 4, 6, 27, 12, tzinfo=UTC),
)


def test_image_page_from_spec_example():
    page = parse_image_page(LIST_BODY, 200, RID)
    assert (page.page, page.size, page.total_elements, page.total_pages) == (1, 10, 100, 10)
    assert page.request_id == RID
    [image] = page.images
    assert image == replace(EXPECTED_IMAGE, tags=(Tag(12345, "Web-Server"),))
    assert image.request_id == RID
    assert isinstance(image.size_mb, float)
    assert image.creation_date.tzinfo is UTC


def test_single_image_from_spec_example_has_no_tags():
    image = parse_image({"data": [IMAGE], "_links": SELF}, 200, RID)
    assert image == EXPECTED_IMAGE
    assert image.tags == ()
    assert image.request_id == RID


def test_single_image_keeps_tags_when_present():
    image = parse_image({"data": [LIST_ITEM], "_links": SELF}, 200, RID)
    assert image.tags == (Tag(12345, "Web-Server"),)


def test_request_id_is_not_part_of_image_equality():
    a = parse_image({"data": [IMAGE]}, 200, "a")
    b = parse_image({"data": [IMAGE]}, 200, "b")
    assert a == b


def test_created_updated_stats_from_spec_examples():
    created = parse_created({"data": [IDS], "_links": SELF}, 201, RID)
    assert created == CreatedImage("9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d", "DE", "54321")
    assert created.request_id == RID
    updated = parse_updated({"data": [IDS], "_links": SELF}, 200, RID)
    assert updated == UpdatedImage("9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d", RID)
    stats = parse_stats({"data": [STATS], "_links": {"self": "/v1/compute/images/stats"}}, 200, RID)
    assert stats == Stats("DE", "54321", 4, 102400.0, 55000.0, 47400.0, RID)
    assert isinstance(stats.current_images_count, int)
    assert isinstance(stats.free_size_mb, float)


def test_fractional_sizes_and_integral_float_counts():
    item = {**LIST_ITEM, "sizeMb": 1536.5, "uploadedSizeMb": 12.25}
    body = {**LIST_BODY, "data": [item], "_pagination": {**LIST_BODY["_pagination"], "page": 1.0}}
    page = parse_image_page(body, 200, RID)
    assert page.page == 1
    assert (page.images[0].size_mb, page.images[0].uploaded_size_mb) == (1536.5, 12.25)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021-06-03T06:27:12Z", datetime(2021, 6, 3, 6, 27, 12, tzinfo=UTC)),
        ("2021-06-03T08:27:12+02:00", datetime(2021, 6, 3, 6, 27, 12, tzinfo=UTC)),
        ("2021-06-03T06:27:12", datetime(2021, 6, 3, 6, 27, 12, tzinfo=UTC)),
    ],
)
def test_dates_become_aware_utc(raw, expected):
    image = parse_image({"data": [{**IMAGE, "creationDate": raw}]}, 200, RID)
    assert image.creation_date == expected
    assert image.creation_date.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("missing", sorted(LIST_ITEM))
def test_missing_required_list_field_is_protocol_error(missing):
    item = {k: v for k, v in LIST_ITEM.items() if k != missing}
    with pytest.raises(ProtocolError) as exc:
        parse_image_page({**LIST_BODY, "data": [item]}, 200, RID)
    assert missing in exc.value.message
    assert exc.value.request_id == RID
    assert exc.value.status == 200


@pytest.mark.parametrize("missing", ["size", "totalElements", "totalPages", "page"])
def test_missing_pagination_field_is_protocol_error(missing):
    meta = {k: v for k, v in LIST_BODY["_pagination"].items() if k != missing}
    with pytest.raises(ProtocolError, match=missing):
        parse_image_page({**LIST_BODY, "_pagination": meta}, 200, RID)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sizeMb", "1024"),
        ("standardImage", "true"),
        ("standardImage", 1),
        ("uploadedSizeMb", True),
        ("name", None),
        ("customerId", 12345),
        ("creationDate", "yesterday"),
        ("tags", {"tagId": 1}),
        ("tags", [{"tagId": True, "tagName": "x"}]),
        ("tags", [{"tagId": 1}]),
    ],
)
def test_wrong_types_are_protocol_errors(field, value):
    with pytest.raises(ProtocolError, match=field):
        parse_image_page({**LIST_BODY, "data": [{**LIST_ITEM, field: value}]}, 200, RID)


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "text",
        {"data": []},
        {"data": {}},
        {"_links": SELF},
        {"data": ["not an object"]},
    ],
)
def test_bad_single_envelopes_are_protocol_errors(body):
    for parse in (parse_image, parse_created, parse_updated, parse_stats):
        with pytest.raises(ProtocolError):
            parse(copy.deepcopy(body), 200, RID)


def test_fractional_count_is_protocol_error():
    with pytest.raises(ProtocolError, match="currentImagesCount"):
        parse_stats({"data": [{**STATS, "currentImagesCount": 1.5}]}, 200, RID)


@pytest.mark.parametrize("missing", sorted(IDS))
def test_created_and_updated_require_all_ids(missing):
    data = {k: v for k, v in IDS.items() if k != missing}
    for parse in (parse_created, parse_updated):
        with pytest.raises(ProtocolError, match=missing):
            parse({"data": [data]}, 200, RID)
