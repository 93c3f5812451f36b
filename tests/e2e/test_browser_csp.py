"""Content-Security-Policy in a real browser: every page (the dashboard's, login, errors and the
admin) carries the header and runs without a single violation, live updates included; an
inline script injected into a page is blocked, so the check would see a violation if one
happened."""

import pytest

from images.models import Status
from images.services.accounts import settings_account
from testkit.factories import make_downloading, make_image, make_snapshot, make_user

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def _pages(images: dict) -> list[str]:
    ready, failed, live = images["ready"].pk, images["failed"].pk, images["live"].pk
    account = settings_account().pk
    return [
        "/images/",
        "/images/?status=all&sort=-name&kind=custom",
        "/images/stats/",
        "/images/upload/",
        "/images/notifications/",
        f"/images/{ready}/",
        f"/images/{failed}/",
        f"/images/{live}/",
        f"/images/{ready}/rename/",
        f"/images/{ready}/delete/",
        f"/images/{ready}/replace/",
        "/images/999999/",
        "/accounts/password_change/",
        "/admin/",
        "/admin/images/image/",
        f"/admin/images/image/{ready}/change/",
        "/admin/images/account/",
        f"/admin/images/account/{account}/change/",
        "/admin/images/auditevent/",
        "/admin/auth/user/",
        "/api/docs/",
    ]


def test_no_page_violates_the_content_security_policy(page, site, sandbox):
    make_user("root", superuser=True)
    make_snapshot()
    images = {
        "ready": make_image(name="Ready"),
        "failed": make_image(name="Broken", status=Status.FAILED, error_message="refused"),
        "live": make_downloading(name="Coming"),
    }
    messages = []
    page.on("console", lambda m: messages.append(m.text))
    page.add_init_script(RECORD_VIOLATIONS)

    login = page.goto(f"{site}/accounts/login/")
    assert "script-src 'self'" in login.headers["content-security-policy"]
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill("pw-root")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site}/images/")

    seen = {}
    for path in _pages(images):
        if path.endswith(f"/{images['live'].pk}/"):
            with page.expect_response(lambda r: "/live/" in r.url):  # htmx polled once
                response = page.goto(f"{site}{path}")
        else:
            response = page.goto(f"{site}{path}")
            page.wait_for_load_state("load")
        header = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in header and "'unsafe-inline'" not in header, path
        seen[path] = page.evaluate("window.__csp")

    # The preflight as the URL is typed (htmx swap of a fragment).
    page.goto(f"{site}/images/upload/")
    with page.expect_response(lambda r: "/upload/preflight/" in r.url):
        page.get_by_label("Image URL").fill("https://example.com/a.qcow2")
        page.get_by_label("Image URL").blur()
    seen["/images/upload/ (preflight)"] = page.evaluate("window.__csp")

    assert {path: v for path, v in seen.items() if v} == {}
    assert [m for m in messages if "Content Security Policy" in m] == []

    # The check itself works: an inline script is refused and reported.
    page.evaluate(
        """() => { const s = document.createElement("script");
        s.textContent = "window.__ran = true"; document.head.appendChild(s); }"""
    )
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__ran") is None
    assert any("Content Security Policy" in m for m in messages)
