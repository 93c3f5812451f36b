"""The dashboard in headless Chromium: live progress, failures, roles, narrow screens, keyboard.

The full flow runs against real Celery processes and the sandbox (`worker` fixture); the others
drive the live server alone and change rows in the database to play the worker's part.
"""

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from images.models import Image, Status
from testkit.factories import make_downloading, make_image, make_snapshot, make_user
from tests.fixtures.browser import PHONE

pytestmark = pytest.mark.browser

PROGRESS_ROSE = """() => {
    const bar = document.querySelector('#live-status progress');
    if (!bar) return false;
    const value = parseFloat(bar.value);
    window.__firstProgress ??= value;
    return value > window.__firstProgress && value < 100;
}"""


@pytest.mark.slow
def test_upload_watch_rename_delete_and_quota(page, site, log_in, worker, contabo):
    make_user("manu", role="manager")
    make_user("vera", role="viewer")
    contabo.set_faults(bandwidth_mbps=2)  # 20 MB in about 10 s: progress is visible

    log_in(page, "manu", "pw-manu")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Upload").click()
    page.get_by_label("Name").fill("  Demo image  ")
    page.get_by_label("Image URL").fill(f"{contabo.url}/files/demo.qcow2?size_mb=20")
    page.get_by_label("OS type").select_option("Linux")
    page.get_by_label("Version").fill("24.04")
    page.get_by_role("button", name="Start download").click()

    # PRG: the detail page, with a message, watching the download.
    expect(page).to_have_url(re.compile(r"/images/\d+/$"))
    expect(page.locator(".message--success")).to_contain_text("“Demo image” is queued")
    status = page.locator("#live-status")
    bar = status.locator("progress")
    expect(bar).to_be_visible(timeout=30_000)
    page.wait_for_function(PROGRESS_ROSE, timeout=30_000)
    expect(status.locator(".progress__text")).to_contain_text(re.compile(r"of 20 MB"))
    expect(status.locator(".progress__text")).to_contain_text("MB/s", timeout=15_000)
    expect(status).to_contain_text("Ready", timeout=60_000)
    expect(bar).to_have_attribute("value", "100")  # the end of the bar, then it goes
    expect(status.locator(".progress__text")).to_contain_text("100% · 20 MB · done")
    expect(page.locator("#detail-body")).not_to_have_attribute("hx-trigger", re.compile(".*"))

    # Rename: the page follows the pending rename until Contabo confirms it.
    page.get_by_role("link", name="Rename").click()
    page.get_by_label("Name").fill("Demo renamed")
    page.get_by_role("button", name="Rename").click()
    expect(page.locator(".message--success")).to_contain_text("Renaming “Demo image”")
    expect(page.locator("#image-title")).to_have_text("Demo renamed", timeout=30_000)
    expect(page.get_by_text("Rename pending")).to_have_count(0)

    # Delete, after a confirmation page naming the image.
    page.get_by_role("link", name="Delete…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete “Demo renamed”?")
    page.get_by_role("button", name="Delete “Demo renamed”").click()
    expect(page.locator("#live-status .badge")).to_have_text(re.compile("Delet"))
    expect(page.locator("#live-status .badge")).to_have_text(
        re.compile(r"Deleted\s*$"), timeout=30_000
    )

    # Quota page, with figures fetched by the worker after the download and the delete.
    page.get_by_role("link", name="Quota").click()
    expect(page.get_by_role("heading", name="Quota")).to_be_visible()
    expect(page.get_by_text("Custom images", exact=True)).to_be_visible()
    expect(page.get_by_role("img", name=re.compile(r"% used"))).to_be_visible()

    # A viewer sees no actions and is refused the delete page.
    page.get_by_role("button", name="Log out").click()
    kept = make_image(name="kept image")
    log_in(page, "vera", "pw-vera")
    expect(page.get_by_role("link", name="Upload")).to_have_count(0)
    expect(page.get_by_role("button", name="Refresh now")).to_have_count(0)
    page.get_by_role("link", name="kept image").click()
    expect(page.get_by_role("link", name="Delete…")).to_have_count(0)
    response = page.goto(f"{site}/images/{kept.pk}/delete/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    assert Image.objects.get(pk=kept.pk).status == Status.DOWNLOADED


def test_list_refreshes_in_flight_rows_in_one_request_and_stops(
    page, site, log_in, transactional_db
):
    make_user("manu", role="manager")
    flying = [make_downloading(name=f"dl-{i}", size_mb=2000, done_mb=500) for i in range(3)]
    make_image(name="dl-ready")
    make_image(name="other")
    asked, answers = [], []
    page.on("request", lambda r: asked.append(r.url) if "/images/live/" in r.url else None)
    page.on("response", lambda r: answers.append(r.status) if "/images/live/" in r.url else None)
    log_in(page, "manu", "pw-manu")
    page.goto(f"{site}/images/?q=dl&sort=name")
    # The poller element stays for the life of the page (its timer is never restarted).
    page.evaluate("document.getElementById('live-poller').__original = true")
    first = page.locator(f"#image-{flying[0].pk}")
    expect(first).to_contain_text("25%")

    Image.objects.filter(pk=flying[0].pk).update(uploaded_size_mb=1500)
    expect(first).to_contain_text("75%")
    expect(page).to_have_url(re.compile(r"\?q=dl&sort=name$"))  # filters untouched
    wanted = ",".join(str(i.pk) for i in flying)
    assert asked
    for url in asked:  # the watched ids and their version, from the hidden inputs; no filters
        parts = urlsplit(url)
        assert parts.path == "/images/live/"
        query = parse_qs(parts.query)
        assert set(query) == {"ids", "v"}
        assert query["ids"] == [wanted]

    # A failing refresh is announced, and the notice goes once the server answers again.
    notice = page.get_by_text("Live updates paused — retrying")
    expect(notice).to_be_hidden()
    page.route("**/images/live/**", lambda route: route.fulfill(status=500, body="down"))
    expect(notice).to_be_visible()
    page.unroute("**/images/live/**")
    expect(notice).to_be_hidden()
    assert 204 in answers  # the intervals where nothing changed: nothing rendered

    # Everything finishes: the rows show it, the answer is 286 and the page stops asking.
    Image.objects.filter(pk__in=[i.pk for i in flying]).update(
        status=Status.DOWNLOADED, uploaded_size_mb=2000
    )
    for image in flying:
        expect(page.locator(f"#image-{image.pk}")).to_contain_text("Ready")
    expect(page.locator("#live-ids")).to_have_value("")
    expect(page.locator("progress")).to_have_count(0)
    assert page.locator("#live-poller").count() == 1  # one poller, the page's own
    assert page.evaluate("document.getElementById('live-poller').__original === true")
    time.sleep(0.5)  # one interval: a request queued behind the last one has landed
    stopped = len(asked)
    time.sleep(2)  # four more intervals of 0.5 s: nothing asked
    assert len(asked) == stopped
    assert answers[-1] == 286


def test_network_failure_shows_the_notice_and_recovers(page, site, log_in, transactional_db):
    make_user("manu", role="manager")
    image = make_downloading(name="slow", size_mb=100, done_mb=10)
    log_in(page, "manu", "pw-manu")
    page.goto(f"{site}/images/{image.pk}/")
    page.route("**/live/**", lambda route: route.abort("connectionrefused"))
    notice = page.get_by_text("Live updates paused — retrying")
    expect(notice).to_be_visible()
    page.unroute("**/live/**")
    Image.objects.filter(pk=image.pk).update(uploaded_size_mb=60)
    expect(page.locator("#live-status")).to_contain_text("60%")
    expect(notice).to_be_hidden()


@pytest.mark.parametrize("path", ["/images/", "/images/upload/", "/images/stats/", "detail"])
def test_phone_width_has_no_sideways_scroll(page, site, log_in, transactional_db, path):
    make_user("manu", role="manager", is_staff=True)  # the longest menu
    image = make_downloading(name="a-rather-long-image-name-without-spaces-for-wrapping")
    make_image(name="ready", status=Status.FAILED, error_message="404 Not Found: " + "x" * 200)
    make_snapshot()
    make_snapshot(used_mb=45_000)
    page.set_viewport_size(PHONE)
    log_in(page, "manu", "pw-manu")
    page.goto(site + (f"/images/{image.pk}/" if path == "detail" else path))
    expect(page.locator("main h1")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_keyboard_skip_link_and_visible_focus(page, site, log_in, transactional_db):
    make_user("manu", role="manager")
    make_image(name="first")
    log_in(page, "manu", "pw-manu")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    outline = skip.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Refresh now")).to_be_focused()
