"""The detail page shows every API field and the audit trail; the quota page its charts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from images.models import AuditEvent, Status
from testkit.factories import make_downloading, make_image, make_snapshot, make_user

pytestmark = pytest.mark.django_db
STATS = reverse("images:stats")


def test_detail_shows_every_api_field(viewer_client):
    long_error = "Download failed: " + "x" * 500 + " END"
    image = make_image(
        name="Golden",
        description="Our base image",
        url="https://example.com/golden.qcow2",
        remote_id="9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d",
        tenant_id="INT",
        customer_id="777",
        os_type="Windows",
        version="2022",
        format="qcow2",
        remote_status="error",
        status=Status.FAILED,
        error_message=long_error,
        size_mb=3072,
        uploaded_size_mb=100,
        tags=[{"id": 1, "name": "prod"}],
        action_error="Rename refused: name taken",
    )
    html = viewer_client.get(reverse("images:detail", args=[image.pk])).content.decode()
    for text in (
        "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d",
        "INT",
        "777",
        "Golden",
        "Our base image",
        "https://example.com/golden.qcow2",
        "3.0 GB",
        "100 MB",
        "Windows",
        "2022",
        "qcow2",
        "error",
        long_error,
        "prod",
        "Rename refused: name taken",
        "Failed",
        "Created",
        "Modified",
    ):
        assert text in html, text


def test_detail_audit_timeline_with_request_ids(viewer_client):
    user = make_user("alice", role="manager")
    image = make_image(name="img")
    AuditEvent.objects.create(
        account=image.account,
        image=image,
        image_name="img",
        actor=user,
        action="rename",
        outcome="requested",
    )
    AuditEvent.objects.create(
        account=image.account,
        image=image,
        image_name="img",
        action="rename",
        outcome="failed",
        message="409 name taken",
        request_id="04e0f898-37b4-48bc-a794-1a57abe6aa31",
    )
    html = viewer_client.get(reverse("images:detail", args=[image.pk])).content.decode()
    assert "04e0f898-37b4-48bc-a794-1a57abe6aa31" in html
    assert "x-request-id" in html
    assert "by alice" in html
    assert "409 name taken" in html
    assert html.index("409 name taken") < html.index("by alice")  # newest first


def test_detail_progress(viewer_client):
    image = make_downloading(name="dl", size_mb=1000, done_mb=400, rate_mb_s=20)
    html = viewer_client.get(reverse("images:detail", args=[image.pk])).content.decode()
    assert "40%" in html
    assert "400 of 1000 MB" in html
    assert "20.0 MB/s" in html
    assert "about 30 s left" in html


def test_detail_query_count(viewer_client, django_assert_max_num_queries):
    image = make_downloading()
    for _ in range(20):
        AuditEvent.objects.create(
            account=image.account, image=image, action="x", outcome="requested"
        )
    with django_assert_max_num_queries(7):
        assert viewer_client.get(reverse("images:detail", args=[image.pk])).status_code == 200


def test_stats_without_snapshots(viewer_client):
    response = viewer_client.get(STATS)
    assert response.status_code == 200
    assert "No quota snapshot yet" in response.content.decode()


def test_stats_totals_chart_largest_and_in_flight(viewer_client, django_assert_max_num_queries):
    now = timezone.now()
    for i in range(12):
        make_snapshot(used_mb=10_000 + i * 1000, at=now - timedelta(minutes=12 - i))
    make_snapshot(used_mb=50_000, total_mb=100_000, count=7)
    for i in range(12):
        make_image(name=f"img-{i:02d}", size_mb=100 * (i + 1))
    make_image(name="huge-standard", size_mb=99_999, standard=True)
    make_image(name="huge-deleted", size_mb=99_999, status=Status.DELETED)
    make_downloading(name="dl", size_mb=3000, done_mb=1000)
    with django_assert_max_num_queries(8):
        response = viewer_client.get(STATS)
    html = response.content.decode()
    assert "<svg" in html
    assert "<polyline" in html
    assert "<polygon" in html
    assert "Used over the last" not in html
    assert "over the last 13 snapshots" in html
    assert "48.8 GB" in html  # used (50000 MB)
    assert "97.7 GB" in html  # total
    assert ">7<" in html  # image count
    assert "2.0 GB" in html  # still to download
    largest = response.context["largest"]
    assert len(largest) == 10
    assert largest[0].name == "dl"
    assert largest[1].name == "img-11"
    assert all(i.name not in ("huge-standard", "huge-deleted") for i in largest)
    assert "Quota almost full" not in html
    assert "Quota full" not in html


@pytest.mark.parametrize(
    ("used", "expected", "absent"),
    [
        (79_000, None, "Quota"),
        (80_000, "Quota almost full", "Quota full:"),
        (100_000, "Quota full:", "almost"),
    ],
)
def test_stats_warning_levels(viewer_client, used, expected, absent):
    make_snapshot(used_mb=used, total_mb=100_000)
    html = viewer_client.get(STATS).content.decode().split("</header>")[1]
    if expected:
        assert expected in html
    assert f"{absent} " not in html.replace("Quota</h1>", "").replace("Quota</title>", "")
