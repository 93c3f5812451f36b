"""`make screenshots`: seed demo data into the throwaway test database and photograph every page.

Not collected by a plain `pytest` run (the file name has no test_ prefix); the Makefile passes it
explicitly. PNGs go to docs/screenshots/<page>-<desktop|phone>.png.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from images.models import Account, AuditEvent, Heartbeat, Image, OsType, ProgressSample, Status
from images.services import preflight
from images.services.accounts import settings_account
from testkit.factories import make_image, make_snapshot, make_user
from tests.fixtures.browser import DESKTOP, PHONE

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}

pytestmark = pytest.mark.browser


def seed() -> dict[str, Image]:
    now = timezone.now()
    Account.objects.create(name="Staging", open_to_all=True)  # the header shows the switcher
    manager = make_user("maria", role="manager", is_staff=True)
    standard = [
        ("ubuntu-24.04", OsType.LINUX, "24.04", 2_355),
        ("debian-12", OsType.LINUX, "12", 2_048),
        ("rockylinux-9", OsType.LINUX, "9", 1_740),
        ("windows-server-2022-standard", OsType.WINDOWS, "2022", 19_210),
    ]
    for i, (name, os_type, version, size) in enumerate(standard):
        make_image(
            name=name,
            os_type=os_type,
            version=version,
            size_mb=size,
            uploaded_size_mb=size,
            standard=True,
            remote_created_at=now - timedelta(days=400 + i),
        )
    ready = make_image(
        name="web-golden-2025-06",
        protected=True,
        description="Nginx + certbot on Ubuntu 24.04, hardened.",
        size_mb=3_412,
        uploaded_size_mb=3_412,
        remote_created_at=now - timedelta(days=12),
        tags=[{"id": 7, "name": "production"}],
        requested_by=manager,
    )
    make_image(
        name="db-replica-base",
        size_mb=8_190,
        uploaded_size_mb=8_190,
        remote_created_at=now - timedelta(days=30),
        pending_name="postgres-16-base",
        pending_description="",
    )
    failed = make_image(
        name="windows-dev-box",
        os_type=OsType.WINDOWS,
        version="11",
        status=Status.FAILED,
        remote_status="error",
        size_mb=0,
        uploaded_size_mb=0,
        url="https://downloads.example.com/win11-dev.iso",
        error_message="Download error, check the url availability and retry (HTTP 404 Not Found)",
        remote_created_at=now - timedelta(hours=5),
    )
    flying = make_image(
        name="ubuntu-24.04-ci-runner",
        description="GitHub Actions runner image",
        status=Status.DOWNLOADING,
        remote_status="downloading",
        size_mb=4_096,
        uploaded_size_mb=1_530,
        remote_created_at=now - timedelta(minutes=3),
        progress_at=now,
        requested_by=manager,
        url="https://images.example.com/ci/ubuntu-24.04-runner.qcow2",
    )
    make_image(
        name="alpine-3.20-edge",
        status=Status.QUEUED,
        url="https://dl-cdn.example.org/alpine/alpine-virt-3.20.iso",
        requested_by=manager,
    )
    make_image(name="old-build-server", status=Status.DELETED, size_mb=5_000)
    for i in range(6):
        make_image(
            name=f"app-release-{2025 - i}.{i + 1}",
            size_mb=1_200 + 350 * i,
            uploaded_size_mb=1_200 + 350 * i,
            remote_created_at=now - timedelta(days=40 + 9 * i),
        )
    for i in range(24):
        make_snapshot(
            used_mb=38_000 + 1_600 * i + (900 if i % 5 == 0 else 0),
            total_mb=102_400,
            count=6 + i // 4,
            at=now - timedelta(hours=2 * (24 - i)),
        )
    make_snapshot(used_mb=84_900, total_mb=102_400, count=12)
    Heartbeat.objects.create(
        name=settings_account().job_key("sync"), ok_at=now - timedelta(minutes=2)
    )
    Heartbeat.objects.create(name=settings_account().job_key("poll"), ok_at=now)
    Heartbeat.objects.create(
        name=settings_account().job_key("stats"), ok_at=now - timedelta(minutes=2)
    )
    for image, action, outcome, message, rid in (
        (flying, "upload", "requested", flying.url, ""),
        (flying, "upload", "succeeded", "created", "04e0f898-37b4-48bc-a794-1a57abe6aa31"),
        (failed, "upload", "requested", failed.url, ""),
        (
            failed,
            "download",
            "failed",
            failed.error_message,
            "51a87ecd-754e-4104-9c54-d01ad0f83406",
        ),
    ):
        AuditEvent.objects.create(
            account=image.account,
            image=image,
            image_name=image.name,
            actor=manager if outcome == "requested" else None,
            action=action,
            outcome=outcome,
            message=message,
            request_id=rid,
        )
    release = Image.objects.get(name="app-release-2025.1")
    return {"ready": ready, "failed": failed, "flying": flying, "release": release}


def fresh_samples(image: Image) -> None:
    """Two samples in the rate window, so the bar shows a rate and an ETA."""
    now = timezone.now()
    ProgressSample.objects.filter(image=image).delete()
    ProgressSample.objects.bulk_create(
        [
            ProgressSample(image=image, at=now - timedelta(seconds=12), uploaded_mb=1_344),
            ProgressSample(image=image, at=now, uploaded_mb=1_530),
        ]
    )


def inline_preflight(monkeypatch, settings) -> None:
    """The URL checks run in the web process here (no worker): still frames of the verdicts."""
    settings.PREFLIGHT_ALLOW_PRIVATE = True

    def run_now(name, *args, **options):
        if name == "preflight_url":
            preflight.run(*args)
        return True

    monkeypatch.setattr(preflight.enqueue, "send", run_now)


def content_checks(page, site, sandbox, width_name: str) -> None:
    """The upload page's verdict on a login page, an overlay qcow2 and one too big for a plan."""
    for shot, url in (
        ("content-check-login-page", sandbox.file_url("ubuntu-24.04.qcow2", 1, content="html")),
        ("content-check-backing-file", sandbox.file_url("delta.qcow2", 1, backing="base.qcow2")),
        ("content-check-qcow2", sandbox.file_url("golden.qcow2", 3400, virtual_gb="120")),
    ):
        page.goto(f"{site}/images/upload/")
        page.get_by_label("Image URL").fill(url)
        page.get_by_label("Image URL").press("Tab")
        expect(page.locator('#preflight-result[data-state="done"]')).to_be_visible()
        page.screenshot(path=OUT / f"{shot}-{width_name}.png", full_page=True)


def bulk_delete_confirmation(page, site, width_name: str) -> None:
    page.goto(f"{site}/images/?sort=name")
    for name in ("app-release-2025.1", "app-release-2024.2", "web-golden-2025-06"):
        page.get_by_label(f"Select {name}", exact=True).check()
    page.get_by_role("button", name="Delete selected…").click()
    expect(page.locator("main h1")).to_contain_text("Delete 2 images?")
    page.screenshot(path=OUT / f"bulk-delete-confirm-{width_name}.png", full_page=True)


def test_screenshots(browser, site, transactional_db, settings, sandbox, monkeypatch):
    settings.PAGE_REFRESH_SECONDS = 3600  # still frames: no poll lands mid-shot
    inline_preflight(monkeypatch, settings)
    rows = seed()
    OUT.mkdir(parents=True, exist_ok=True)
    pages = [
        ("list", "/images/"),
        ("list-filtered", "/images/?q=ubuntu&sort=-size"),
        ("detail", f"/images/{rows['flying'].pk}/"),
        ("detail-failed", f"/images/{rows['failed'].pk}/"),
        ("detail-protected", f"/images/{rows['ready'].pk}/"),
        ("upload", "/images/upload/"),
        ("rename", f"/images/{rows['ready'].pk}/rename/"),
        ("delete", f"/images/{rows['release'].pk}/delete/"),
        ("quota", "/images/stats/"),
    ]
    for width_name, viewport in WIDTHS.items():
        context = browser.new_context(viewport=viewport, locale="en-US")
        page = context.new_page()
        page.goto(f"{site}/accounts/login/")
        page.screenshot(path=OUT / f"login-{width_name}.png", full_page=True)
        page.get_by_label("Username").fill("maria")
        page.get_by_label("Password").fill("pw-maria")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Images", exact=True)).to_be_visible()
        for name, path in pages:
            fresh_samples(rows["flying"])
            page.goto(site + path)
            expect(page.locator("main h1")).to_be_visible()
            page.screenshot(path=OUT / f"{name}-{width_name}.png", full_page=True)
        page.goto(f"{site}/images/upload/")
        page.get_by_label("Name").fill("  ")
        page.get_by_label("Image URL").fill("https://example.com/download?file=image.qcow2")
        page.get_by_role("button", name="Start download").click()
        expect(page.locator(".field__error").first).to_be_visible()
        page.screenshot(path=OUT / f"upload-errors-{width_name}.png", full_page=True)
        content_checks(page, site, sandbox, width_name)
        bulk_delete_confirmation(page, site, width_name)
        context.close()
