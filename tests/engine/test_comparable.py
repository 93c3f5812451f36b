"""Remote fields read for comparison in the database's own text forms: a stored row and the API's
image compare equal exactly when their values are equal, on either database."""

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest

from images import contabo
from images.models import Image, Status
from images.services import comparable
from images.services.mapping import REMOTE_FIELDS, remote_fields
from testkit.factories import make_image

pytestmark = pytest.mark.django_db

SAID = contabo.Image(
    image_id="remote-1",
    tenant_id="DE",
    customer_id="12345",
    name="debian",
    description="",
    url="https://example.com/debian.qcow2",
    size_mb=4000.0,
    uploaded_size_mb=1000.5,
    os_type="Linux",
    version="12",
    format="qcow2",
    status="downloading",
    error_message="",
    standard_image=False,
    creation_date=datetime(2026, 12, 1, 7, 37, 38, 123456, tzinfo=UTC),
    last_modified_date=datetime(2026, 12, 1, 7, 37, 38, tzinfo=UTC),
    tags=(contabo.Tag(1, "prod"), contabo.Tag(2, "café")),
)


def _stored(image: Image) -> tuple:
    ((pk, values),) = comparable.stored(Image.objects.filter(pk=image.pk)).values()
    assert pk == image.pk
    return values


def _row(said: contabo.Image = SAID) -> Image:
    return make_image(status=Status.DOWNLOADING, remote_id=said.image_id, **remote_fields(said))


def test_a_row_written_from_the_api_image_compares_equal():
    assert _stored(_row()) == comparable.saying()(SAID)


def test_a_row_the_poll_cycle_rewrote_compares_equal():
    image = _row(dataclasses.replace(SAID, tags=(), creation_date=None))
    for name, value in remote_fields(SAID).items():
        setattr(image, name, value)
    Image.objects.bulk_update([image], REMOTE_FIELDS)
    assert _stored(image) == comparable.saying()(SAID)


def test_the_same_instant_in_another_zone_compares_equal():
    elsewhere = timezone(timedelta(hours=2))
    moved = dataclasses.replace(SAID, creation_date=SAID.creation_date.astimezone(elsewhere))
    assert _stored(_row()) == comparable.saying()(moved)


@pytest.mark.parametrize(
    "change",
    [
        {"creation_date": SAID.creation_date + timedelta(microseconds=1)},
        {"last_modified_date": SAID.last_modified_date + timedelta(seconds=1)},
        {"last_modified_date": None},
        {"tags": (contabo.Tag(1, "prod"), contabo.Tag(2, "cafe"))},
        {"tags": ()},
        {"uploaded_size_mb": 1000.25},
        {"status": "Pending"},
        {"standard_image": True},
    ],
    ids=lambda change: next(iter(change)),
)
def test_any_change_the_api_says_compares_unequal(change):
    assert _stored(_row()) != comparable.saying()(dataclasses.replace(SAID, **change))
