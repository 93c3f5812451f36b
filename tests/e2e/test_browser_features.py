"""Issue 7 in headless Chromium: the retry button, versions, the new-version form, export links,
the notification settings, and narrow screens for the new pages."""

import csv
import io
import json
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from images.models import Image, Status
from testkit.factories import make_image, make_user
from tests.fixtures.browser import PHONE

pytestmark = pytest.mark.browser


@pytest.mark.slow
def test_retry_a_failed_download_until_it_is_ready(page, site, log_in, worker, contabo):
    """Real worker and sandbox: the download fails, one click retries it and removes the failure."""
    make_user("manu", role="manager")
    contabo.set_faults(download_mode="fail")
    log_in(page, "manu", "pw-manu")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Upload").click()
    page.get_by_label("Name").fill("Flaky image")
    page.get_by_label("Image URL").fill(f"{contabo.url}/files/flaky.qcow2?size_mb=2")
    page.get_by_label("OS type").select_option("Linux")
    page.get_by_label("Version").fill("24.04")
    page.get_by_role("button", name="Start download").click()
    expect(page.locator("#live-status")).to_contain_text("Download failed", timeout=30_000)
    failed_url = page.url

    contabo.set_faults(download_mode="normal")
    retry = page.get_by_role("button", name="Retry download")
    expect(retry).to_be_visible()
    expect(page.get_by_label("Also delete the failed image at Contabo")).to_be_checked()
    retry.click()

    expect(page).not_to_have_url(failed_url)
    expect(page.locator(".message--success")).to_contain_text("Retrying “Flaky image”")
    expect(page.locator("#live-status")).to_contain_text("Ready", timeout=60_000)
    versions = page.get_by_role("region", name="Versions")
    expect(versions.get_by_role("listitem")).to_have_count(2)
    expect(versions).to_contain_text("(this image)")
    expect(versions).to_contain_text("retry")

    versions.get_by_role("link", name="Flaky image 24.04").click()
    expect(page).to_have_url(failed_url)
    expect(page.locator("#live-status .badge")).to_have_text(
        re.compile(r"Deleted\s*$"), timeout=30_000
    )
    expect(page.get_by_role("button", name="Retry download")).to_have_count(0)
    new, old = Image.objects.order_by("-pk")[:2]
    assert (new.status, old.status, new.replaces_id) == (Status.DOWNLOADED, Status.DELETED, old.pk)


def test_retry_keeping_the_failed_image(page, site, log_in, transactional_db):
    make_user("manu", role="manager")
    failed = make_image(name="broken", status=Status.FAILED, error_message="HTTP 404 Not Found")
    log_in(page, "manu", "pw-manu")
    page.goto(f"{site}/images/{failed.pk}/")
    page.get_by_label("Also delete the failed image at Contabo").uncheck()
    page.get_by_role("button", name="Retry download").click()
    new = Image.objects.get(replaces=failed)
    expect(page).to_have_url(f"{site}/images/{new.pk}/")
    expect(page.locator("#live-status")).to_contain_text("Queued")

    page.get_by_role("region", name="Versions").get_by_role("link", name="broken").click()
    expect(page.locator("#successor-note")).to_contain_text("Retried as")
    expect(page.locator("#live-status .badge")).to_contain_text("Failed")
    expect(page.get_by_role("button", name="Retry download")).to_have_count(0)
    assert Image.objects.get(pk=failed.pk).status == Status.FAILED


def test_viewers_see_no_retry_button(page, site, log_in, transactional_db):
    make_user("vera", role="viewer")
    failed = make_image(name="broken", status=Status.FAILED)
    log_in(page, "vera", "pw-vera")
    page.goto(f"{site}/images/{failed.pk}/")
    expect(page.locator("#live-status")).to_contain_text("Failed")
    expect(page.get_by_role("button", name="Retry download")).to_have_count(0)
    expect(page.get_by_role("link", name="New version…")).to_have_count(0)


def test_new_version_form_is_prefilled_and_links_the_versions(page, site, log_in, transactional_db):
    make_user("manu", role="manager")
    old = make_image(name="golden", version="24.04", description="base")
    log_in(page, "manu", "pw-manu")
    page.goto(f"{site}/images/{old.pk}/")
    page.get_by_role("link", name="New version…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New version of “golden”")
    expect(page.get_by_label("Name")).to_have_value("golden")
    expect(page.get_by_label("Description")).to_have_value("base")
    expect(page.get_by_label("Image URL")).to_have_value("")
    page.get_by_label("Image URL").fill("https://example.com/golden-24.10.qcow2")
    page.get_by_label("Version", exact=True).fill("24.10")
    page.get_by_label("Delete the current version once the new one is downloaded").check()
    page.get_by_role("button", name="Start download").click()

    expect(page.locator(".message--success")).to_contain_text("Version 24.10 of “golden”")
    expect(page.locator("#retire-note")).to_contain_text("golden 24.04 will be deleted")
    versions = page.get_by_role("region", name="Versions")
    expect(versions).to_contain_text("new version")
    new = Image.objects.get(replaces=old)
    assert new.delete_replaced_when_done


def download(page, link):
    with page.expect_download() as info:
        link.click()
    result = info.value
    return result.suggested_filename, open(result.path(), encoding="utf-8-sig").read()


def test_export_links_download_what_the_list_shows(page, site, log_in, transactional_db):
    make_user("vera", role="viewer")  # read-only users may export
    for i in range(30):
        make_image(name=f"ubuntu-{i:02d}")
    make_image(name="debian")
    make_image(name="=cmd|' /C calc'!A0")
    log_in(page, "vera", "pw-vera")
    page.get_by_role("textbox", name="Search").fill("ubuntu")
    page.get_by_role("button", name="Apply").click()
    page.locator("thead").get_by_role("link", name=re.compile("Name")).click()  # sort by name
    expect(page).to_have_url(re.compile(r"sort=name"))
    page.get_by_role("navigation", name="Pages").get_by_role(
        "link", name=re.compile("^Next")
    ).click()
    expect(page).to_have_url(re.compile(r"page=2"))

    links = page.locator("#export-links")
    expect(links.get_by_role("link", name="CSV")).to_have_attribute(
        "href", re.compile(r"^/images/export\.csv\?q=ubuntu&.*sort=name")
    )
    csv_link = links.get_by_role("link", name="CSV")
    expect(csv_link).not_to_have_attribute("href", re.compile("page=|after=|before="))
    name, text = download(page, links.get_by_role("link", name="CSV"))
    assert name == f"contabo-images-default-{date.today().isoformat()}.csv"
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["name"] for r in rows] == [f"ubuntu-{i:02d}" for i in range(30)]  # all, not a page

    name, text = download(page, links.get_by_role("link", name="JSON"))
    assert name.endswith(".json")
    assert [r["name"] for r in json.loads(text)] == [r["name"] for r in rows]

    page.goto(f"{site}/images/?q=calc")
    _, text = download(page, page.locator("#export-links").get_by_role("link", name="CSV"))
    assert "'=cmd" in text


def test_notification_settings_are_saved(page, site, log_in, transactional_db):
    make_user("vera", role="viewer", email="vera@example.com")
    log_in(page, "vera", "pw-vera")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Notifications").click()
    expect(page.get_by_label("Your e-mail address")).to_have_value("vera@example.com")
    page.get_by_label("fails").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".message--success")).to_contain_text("saved")
    expect(page.get_by_label("fails")).to_be_checked()
    expect(page.get_by_label("is ready")).not_to_be_checked()


@pytest.mark.parametrize("path", ["notifications", "replace", "versions"])
def test_new_pages_fit_a_phone(page, site, log_in, transactional_db, path):
    make_user("manu", role="manager", is_staff=True)
    old = make_image(name="a-rather-long-image-name-without-spaces-for-wrapping-" + "x" * 30)
    new = make_image(name=old.name, replaces=old, status=Status.FAILED, error_message="e" * 200)
    page.set_viewport_size(PHONE)
    log_in(page, "manu", "pw-manu")
    target = {
        "notifications": "/images/notifications/",
        "replace": f"/images/{old.pk}/replace/",
        "versions": f"/images/{new.pk}/",
    }[path]
    page.goto(site + target)
    expect(page.locator("main h1")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
