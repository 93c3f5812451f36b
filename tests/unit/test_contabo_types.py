"""Parsing of Contabo Images responses into typed results (spec examples, strictness)."""

import copy
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from images.contabo import CreatedImage, Image, ProtocolError, Stats, Tag, UpdatedImage
from images.contabo.types import (
    Skipped,
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


@pytest.mark.parametrize("missing", sorted(set(LIST_ITEM) - {"imageId"}))
@pytest.mark.parametrize("how", ["missing", "null"])
def test_a_missing_or_null_field_is_read_as_empty(missing, how):
    item = {k: v for k, v in LIST_ITEM.items() if k != missing}
    if how == "null":
        item[missing] = None
    page = parse_image_page({**LIST_BODY, "data": [item]}, 200, RID)
    [image] = page.images
    assert not page.skipped
    assert f"{how}:{missing}" in page.quirks
    value = {
        "sizeMb": image.size_mb,
        "uploadedSizeMb": image.uploaded_size_mb,
        "creationDate": image.creation_date,
        "lastModifiedDate": image.last_modified_date,
        "standardImage": image.standard_image,
        "tags": image.tags,
        "status": image.status,
        "name": image.name,
    }.get(missing, "")
    assert value in ("", 0.0, None, False, ())


@pytest.mark.parametrize("missing", ["size", "totalElements", "totalPages", "page"])
def test_a_missing_pagination_field_falls_back(missing):
    meta = {k: v for k, v in LIST_BODY["_pagination"].items() if k != missing}
    page = parse_image_page({**LIST_BODY, "_pagination": meta}, 200, RID, page=3, size=25)
    assert len(page.images) == 1
    expected = {"size": 25, "page": 3, "totalPages": None, "totalElements": None}[missing]
    got = {
        "size": page.size,
        "page": page.page,
        "totalPages": page.total_pages,
        "totalElements": page.total_elements,
    }[missing]
    assert got == expected
    assert f"missing:_pagination.{missing}" in page.quirks


def test_no_pagination_at_all_ends_on_a_short_page():
    body = {"data": [LIST_ITEM]}
    page = parse_image_page(body, 200, RID, page=2, size=10)
    assert (page.page, page.size, page.total_pages) == (2, 10, None)
    assert page.is_last(10)
    full = parse_image_page({"data": [LIST_ITEM] * 10}, 200, RID, page=1, size=10)
    assert not full.is_last(10)


@pytest.mark.parametrize(
    ("field", "value", "read"),
    [
        ("sizeMb", "1024.5", 1024.5),
        ("uploadedSizeMb", " 12 ", 12.0),
        ("standardImage", "true", True),
        ("customerId", 12345, "12345"),
        ("version", 20.04, "20.04"),
    ],
)
def test_numbers_and_flags_sent_as_text_are_read(field, value, read):
    page = parse_image_page({**LIST_BODY, "data": [{**LIST_ITEM, field: value}]}, 200, RID)
    [image] = page.images
    attribute = {
        "sizeMb": "size_mb",
        "uploadedSizeMb": "uploaded_size_mb",
        "standardImage": "standard_image",
        "customerId": "customer_id",
        "version": "version",
    }[field]
    assert getattr(image, attribute) == read


def test_unknown_fields_are_ignored_and_noted():
    item = {**LIST_ITEM, "progressPercent": 40, "region": {"name": "EU"}}
    page = parse_image_page({**LIST_BODY, "data": [item], "extra": 1}, 200, RID)
    [image] = page.images
    assert image == replace(EXPECTED_IMAGE, tags=(Tag(12345, "Web-Server"),))
    assert {"unknown:progressPercent", "unknown:region"} <= set(page.quirks)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sizeMb", "lots"),
        ("uploadedSizeMb", True),
        ("name", {"first": "x"}),
        ("status", ["downloading"]),
        ("creationDate", "yesterday"),
        ("standardImage", "maybe"),
        ("tags", {"tagId": 1}),
        ("imageId", None),
        ("imageId", ""),
    ],
)
def test_a_malformed_item_is_skipped_with_its_id_and_the_others_kept(field, value):
    good = {**LIST_ITEM, "imageId": "good-one"}
    bad = {**LIST_ITEM, field: value}
    page = parse_image_page({**LIST_BODY, "data": [good, bad, "not an object"]}, 200, RID)
    assert [i.image_id for i in page.images] == ["good-one"]
    assert len(page.skipped) == 2
    first = page.skipped[0]
    assert first.image_id == ("" if field == "imageId" else IMAGE["imageId"])
    assert (field if field != "imageId" else "imageId") in first.problem
    assert page.skipped[1] == Skipped("", "image list data[2]: expected an object, got str")


def test_an_unreadable_tag_is_dropped_not_the_image():
    item = {**LIST_ITEM, "tags": [{"tagId": True, "tagName": "x"}, {"tagId": 2, "tagName": "y"}]}
    [image] = parse_image_page({**LIST_BODY, "data": [item]}, 200, RID).images
    assert image.tags == (Tag(2, "y"),)


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


def test_stats_with_missing_figures_say_so_and_derive_free():
    body = {"data": [{**STATS, "freeSizeMb": None, "currentImagesCount": "4"}]}
    stats = parse_stats(body, 200, RID)
    assert (stats.current_images_count, stats.free_size_mb) == (4, 102400.0 - 55000.0)
    assert stats.missing == []
    partial = parse_stats({"data": [{"tenantId": "DE"}]}, 200, RID)
    assert partial.missing == ["currentImagesCount", "totalSizeMb", "usedSizeMb", "freeSizeMb"]


def test_created_and_updated_need_the_image_id():
    data = {k: v for k, v in IDS.items() if k != "imageId"}
    for parse in (parse_created, parse_updated):
        with pytest.raises(ProtocolError, match="imageId"):
            parse({"data": [data]}, 200, RID)
    created = parse_created({"data": [{"imageId": "x", "tenantId": None}]}, 201, RID)
    assert created == CreatedImage("x", "", "")
