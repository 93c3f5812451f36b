"""In a real browser under the strict Content-Security-Policy: the API documentation page
(Swagger UI from our own static files, no CDN request) renders our schema's operations, and the
API tokens page makes and revokes a token by keyboard."""

import pytest

from testkit.factories import make_user
from tests.e2e.test_browser_csp import RECORD_VIOLATIONS

pytestmark = pytest.mark.browser


def test_api_docs_render_from_our_static_files_without_csp_violations(page, site):
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    page.add_init_script(RECORD_VIOLATIONS)
    response = page.goto(f"{site}/api/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.locator(".opblock-summary-path", has_text="/api/v1/images/").first.wait_for()
    assert page.evaluate("window.__csp") == []
    assert [url for url in requested if not url.startswith(site)] == []


def test_token_page_by_keyboard_without_csp_violations(page, site):
    make_user("tess", role="viewer")
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Username").fill("tess")
    page.get_by_label("Password").fill("pw-tess")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("laptop")
    page.get_by_label("Name").press("Enter")
    secret = page.get_by_label("Token").input_value()
    assert secret.startswith("cimg_")
    page.get_by_role("button", name="Revoke laptop").click()
    page.get_by_text("The token “laptop” is revoked.").wait_for()
    assert page.evaluate("window.__csp") == []
