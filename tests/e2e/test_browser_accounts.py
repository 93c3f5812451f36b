"""The account switcher in headless Chromium: a labelled select and a button, by keyboard."""

import re

import pytest
from playwright.sync_api import expect

from images.models import Account
from tests.accounts.factories import make_account, member
from tests.pages.factories import make_image, make_user

pytestmark = pytest.mark.browser


def test_the_switcher_shows_the_other_accounts_images(page, site, log_in, transactional_db):
    bravo = make_account("Bravo")
    member(make_user("vera"), bravo, "viewer")
    make_image(name="alpha-image")
    make_image(name="bravo-image", account=bravo)
    log_in(page, "vera", "pw-vera")

    switcher = page.get_by_label("Account", exact=True)
    expect(switcher).to_have_value(str(Account.objects.default().pk))
    expect(page.get_by_role("link", name="alpha-image")).to_be_visible()
    expect(page.get_by_role("link", name="bravo-image")).to_have_count(0)

    # Keyboard only: choose in the select, Tab to "Switch", Enter.
    switcher.focus()
    switcher.select_option(label="Bravo")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Switch")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator(".message--success")).to_contain_text("“Bravo”")
    expect(page.get_by_role("link", name="bravo-image")).to_be_visible()
    expect(page.get_by_role("link", name="alpha-image")).to_have_count(0)
    expect(page.get_by_label("Account", exact=True)).to_have_value(str(bravo.pk))

    # From the quota page the switch keeps the user there.
    page.get_by_role("link", name="Quota").click()
    page.get_by_label("Account", exact=True).select_option(label="Default")
    page.get_by_role("button", name="Switch").click()
    expect(page).to_have_url(re.compile(r"/images/stats/$"))
    expect(page.get_by_label("Account", exact=True)).to_have_value(
        str(Account.objects.default().pk)
    )
    page.goto(f"{site}/images/")
    expect(page.get_by_role("link", name="alpha-image")).to_be_visible()
