"""The upload page in headless Chromium: the preflight answered by a real worker, and the
duplicate guard's "Upload anyway"."""

import re

import pytest
from playwright.sync_api import expect

from images.models import Image, Status
from testkit.factories import make_image, make_snapshot, make_user

pytestmark = pytest.mark.browser
URL = "https://downloads.example.com/golden.qcow2"
RESULT_POLL = re.compile(r"/images/upload/preflight/[\w-]+/$")


def fill_upload(page, name: str, url: str) -> None:
    page.get_by_label("Name").fill(name)
    page.get_by_label("Image URL").fill(url)
    page.get_by_label("OS type").select_option("Linux")
    page.get_by_label("Version").fill("24.04")


def test_a_repeat_needs_upload_anyway(page, site, log_in, transactional_db):
    make_user("manu", role="manager")
    existing = make_image(name="Golden", url=URL)
    log_in(page, "manu", "pw-manu")
    page.goto(f"{site}/images/upload/")
    expect(page.get_by_label("Upload anyway")).to_have_count(0)
    fill_upload(page, "Golden", URL)
    page.get_by_role("button", name="Start download").click()

    warning = page.locator(".duplicates")
    expect(warning).to_contain_text("Tick “Upload anyway”")
    expect(warning).to_contain_text("same URL and name")
    link = warning.get_by_role("link", name="Golden")
    expect(link).to_have_attribute("href", f"/images/{existing.pk}/")
    expect(page.get_by_label("Name")).to_have_value("Golden")  # what was typed is kept
    expect(page.get_by_label("Image URL")).to_have_value(URL)
    expect(page.get_by_label("Version")).to_have_value("24.04")

    # Submitting again without the tick is refused again.
    page.get_by_role("button", name="Start download").click()
    expect(page.locator(".duplicates")).to_be_visible()
    assert Image.objects.filter(name="Golden").count() == 1

    page.get_by_label("Upload anyway").check()
    page.get_by_role("button", name="Start download").click()
    expect(page).to_have_url(re.compile(r"/images/\d+/$"))
    expect(page.locator(".message--success")).to_contain_text("“Golden” is queued")
    assert Image.objects.filter(name="Golden", status=Status.QUEUED).count() == 1


@pytest.mark.slow
def test_preflight_shows_what_the_worker_found_then_stops(page, site, log_in, worker, contabo):
    make_user("manu", role="manager")
    make_snapshot(used_mb=0, total_mb=102_400)  # the sandbox's default quota
    polls = []
    page.on("request", lambda r: polls.append(r.url) if RESULT_POLL.search(r.url) else None)
    log_in(page, "manu", "pw-manu")
    page.goto(f"{site}/images/upload/")

    url = page.get_by_label("Image URL")
    url.fill(contabo.file_url("small.qcow2", 20))
    url.blur()  # "change" asks for the check
    result = page.locator("#preflight-result")
    expect(result).to_contain_text("small.qcow2")
    expect(result).to_contain_text(".qcow2")
    expect(result).to_contain_text("20 MB", timeout=30_000)
    expect(result).to_contain_text("It fits:")
    expect(result).not_to_have_attribute("hx-trigger", re.compile(".*"))
    assert polls, "the pending fragment polled"
    asked = len(polls)
    page.wait_for_timeout(1500)  # three refresh intervals
    assert len(polls) == asked, "polling stopped once the answer was shown"

    url.fill(contabo.file_url("huge.iso", 200_000))
    url.blur()
    expect(result).to_contain_text("huge.iso")
    expect(result).to_contain_text("It will not fit: 195.3 GB needed", timeout=30_000)

    # "Check URL" asks again for a link whose server cannot say.
    url.fill(f"{contabo.url}/nothing/here.iso")
    page.get_by_role("button", name="Check URL").click()
    expect(result).to_contain_text("The server answered 404", timeout=30_000)
    expect(result).to_contain_text("You can still start the download.")
    expect(page).to_have_url(f"{site}/images/upload/")  # htmx, no page load
