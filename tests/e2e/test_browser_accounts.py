"""The account switcher in headless Chromium: switches on change, by keyboard on Enter, and
without JavaScript through its button."""

import re

import pytest
from playwright.sync_api import expect

from images.services.accounts import settings_account
from testkit.factories import make_account, make_image, make_user, member

pytestmark = pytest.mark.browser


def test_the_switcher_shows_the_other_accounts_images(page, site, log_in, transactional_db):
    bravo = make_account("Bravo")
    member(make_user("vera"), bravo, "viewer")
    make_image(name="alpha-image")
    make_image(name="bravo-image", account=bravo)
    log_in(page, "vera", "pw-vera")

    switcher = page.get_by_label("Account", exact=True)
    expect(switcher).to_have_value(str(settings_account().pk))
    expect(page.get_by_role("link", name="alpha-image")).to_be_visible()
    expect(page.get_by_role("link", name="bravo-image")).to_have_count(0)

    # Picking an account switches at once (JavaScript on): no button to press.
    switcher.select_option(label="Bravo")
    expect(page.locator(".message--success")).to_contain_text("“Bravo”")
    expect(page.get_by_role("link", name="bravo-image")).to_be_visible()
    expect(page.get_by_role("link", name="alpha-image")).to_have_count(0)
    expect(page.get_by_label("Account", exact=True)).to_have_value(str(bravo.pk))
    expect(page.locator("form.account-switcher--auto")).to_have_count(1)
    assert page.get_by_role("button", name="Switch").bounding_box()["width"] <= 1  # out of sight

    # Keyboard: arrowing through the list does not switch on every step; Enter does.
    switcher = page.get_by_label("Account", exact=True)
    switcher.focus()
    page.keyboard.press("ArrowUp")
    expect(switcher).to_have_value(str(settings_account().pk))
    expect(page.get_by_role("link", name="bravo-image")).to_be_visible()  # not switched yet
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="alpha-image")).to_be_visible()
    expect(page.locator(".message--success")).to_contain_text("“Default”")

    # From the quota page the switch keeps the user there.
    page.get_by_role("link", name="Quota").click()
    page.get_by_label("Account", exact=True).select_option(label="Bravo")
    expect(page).to_have_url(re.compile(r"/images/stats/$"))
    expect(page.get_by_label("Account", exact=True)).to_have_value(str(bravo.pk))
    page.goto(f"{site}/images/")
    expect(page.get_by_role("link", name="bravo-image")).to_be_visible()


def test_without_javascript_the_switch_button_does_it(browser, site, log_in, transactional_db):
    bravo = make_account("Bravo")
    member(make_user("vera"), bravo, "viewer")
    make_image(name="bravo-image", account=bravo)
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        log_in(page, "vera", "pw-vera")
        page.get_by_label("Account", exact=True).select_option(label="Bravo")
        expect(page.get_by_role("link", name="bravo-image")).to_have_count(0)  # not yet
        button = page.get_by_role("button", name="Switch")
        expect(button).to_be_visible()
        button.click()
        expect(page.get_by_role("link", name="bravo-image")).to_be_visible()
    finally:
        context.close()
