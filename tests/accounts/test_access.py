"""Who sees which account with which role (images.access), and what a page does about it."""

import pytest
from django.urls import reverse

from images import access
from images.models import Account, AuditEvent, Image, QuotaSnapshot
from images.services.accounts import settings_account
from testkit.factories import make_account, make_image, make_snapshot, make_user, member

pytestmark = pytest.mark.django_db

LIST = reverse("images:list")
SWITCH = reverse("images:switch_account")


def _roles(user) -> dict[str, str]:
    return {a.name: a.role for a in access.visible_accounts(user)}


@pytest.fixture
def bravo(db):
    return make_account("Bravo")


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("superuser", {"Default": "manager", "Bravo": "manager"}),
        ("global manager", {"Default": "manager"}),
        ("global viewer", {"Default": "viewer"}),
        ("no role", {"Default": "viewer"}),
        ("viewer of Bravo", {"Default": "viewer", "Bravo": "viewer"}),
        ("manager of Bravo", {"Default": "viewer", "Bravo": "manager"}),
        ("global manager, viewer of Default", {"Default": "viewer"}),
    ],
)
def test_roles_per_account(bravo, who, expected):
    default = settings_account()
    users = {
        "superuser": lambda: make_user("root", superuser=True),
        "global manager": lambda: make_user("gm", role="manager"),
        "global viewer": lambda: make_user("gv", role="viewer"),
        "no role": lambda: make_user("nr"),
        "viewer of Bravo": lambda: member(make_user("vb"), bravo, "viewer"),
        "manager of Bravo": lambda: member(make_user("mb"), bravo, "manager"),
        "global manager, viewer of Default": lambda: member(
            make_user("gmv", role="manager"), default, "viewer"
        ),
    }
    assert _roles(users[who]()) == expected


def test_an_account_closed_to_all_needs_a_membership(bravo):
    Account.objects.filter(from_settings=True).update(open_to_all=False)
    assert _roles(make_user("gm", role="manager")) == {}
    assert _roles(member(make_user("vb"), bravo)) == {"Bravo": "viewer"}


def test_a_user_without_any_account_gets_a_page_saying_so(client):
    Account.objects.filter(from_settings=True).update(open_to_all=False)
    client.force_login(make_user("lonely", role="manager"))
    response = client.get(LIST)
    assert response.status_code == 403
    assert "No Contabo account for you yet" in response.content.decode()
    assert client.get(reverse("images:upload")).status_code == 403


def test_the_switcher_changes_the_listed_images(client, bravo):
    make_image(name="alpha-image")
    make_image(name="bravo-image", account=bravo)
    client.force_login(member(make_user("vb"), bravo))
    html = client.get(LIST).content.decode()
    assert 'id="account-select"' in html and '<label for="account-select">' in html
    assert "alpha-image" in html and "bravo-image" not in html

    response = client.post(SWITCH, {"account": bravo.pk, "next": LIST})
    assert response.status_code == 302 and response["Location"] == LIST
    html = client.get(LIST).content.decode()
    assert "bravo-image" in html and "alpha-image" not in html
    assert f'<option value="{bravo.pk}" selected>' in html


def test_one_account_shows_its_name_and_no_switcher(client):
    client.force_login(make_user("gv", role="viewer"))
    html = client.get(LIST).content.decode()
    assert "Account: <strong>Default</strong>" in html
    assert 'id="account-select"' not in html


def test_switching_to_an_account_one_cannot_see_is_a_404(client, bravo):
    client.force_login(make_user("gv", role="viewer"))
    assert client.post(SWITCH, {"account": bravo.pk}).status_code == 404
    assert client.post(SWITCH, {"account": "x"}).status_code == 404
    assert client.get(SWITCH).status_code == 405


def test_switching_never_redirects_offsite(client, bravo):
    client.force_login(make_user("root", superuser=True))
    response = client.post(SWITCH, {"account": bravo.pk, "next": "https://evil.example/"})
    assert response["Location"] == LIST


def test_an_image_of_another_account_is_a_404_everywhere(client, bravo):
    theirs = make_image(name="bravo-image", account=bravo)
    client.force_login(make_user("gm", role="manager"))
    for name in ("detail", "detail_live", "rename", "delete", "replace"):
        assert client.get(reverse(f"images:{name}", args=[theirs.pk])).status_code == 404, name
    for name in ("delete", "retry", "rename"):
        response = client.post(reverse(f"images:{name}", args=[theirs.pk]), {"name": "x"})
        assert response.status_code == 404, name
    live = client.get(reverse("images:list_live"), {"ids": str(theirs.pk)}).content.decode()
    assert "bravo-image" not in live
    theirs.refresh_from_db()
    assert theirs.name == "bravo-image" and theirs.status == "downloaded"


def test_a_viewer_of_b_cannot_write_in_b_but_a_manager_of_b_can(client, bravo, sent_tasks):
    image = make_image(account=bravo)
    client.force_login(member(make_user("vb", role="manager"), bravo, "viewer"))
    client.post(SWITCH, {"account": bravo.pk})
    assert client.post(reverse("images:delete", args=[image.pk])).status_code == 403
    assert client.get(reverse("images:upload")).status_code == 403

    client.force_login(member(make_user("mb"), bravo, "manager"))
    client.post(SWITCH, {"account": bravo.pk})
    assert client.post(reverse("images:delete", args=[image.pk])).status_code == 302
    event = AuditEvent.objects.get(action="delete", image=image)
    assert event.account == bravo


def test_upload_and_refresh_act_on_the_current_account(client, bravo, sent_tasks):
    client.force_login(member(make_user("mb"), bravo, "manager"))
    client.post(SWITCH, {"account": bravo.pk})
    response = client.post(
        reverse("images:upload"),
        {
            "name": "bravo-upload",
            "url": "https://example.com/bravo.iso",
            "os_type": "Linux",
            "version": "1",
        },
    )
    assert response.status_code == 302
    image = Image.objects.get(name="bravo-upload")
    assert image.account == bravo
    assert AuditEvent.objects.get(action="upload").account == bravo
    client.post(reverse("images:refresh"))
    assert AuditEvent.objects.get(action="refresh").account == bravo


def test_quota_page_and_export_are_per_account(client, bravo):
    make_snapshot(used_mb=10_000, total_mb=100_000)
    QuotaSnapshot.objects.create(
        account=bravo, image_count=1, total_mb=100_000, used_mb=77_000, free_mb=23_000
    )
    make_image(name="alpha-image")
    make_image(name="bravo-image", account=bravo)
    client.force_login(make_user("root", superuser=True))
    client.post(SWITCH, {"account": bravo.pk})
    assert client.get(reverse("images:stats")).context["snapshot"].used_mb == 77_000
    response = client.get(reverse("images:export_csv"))
    body = b"".join(response.streaming_content).decode()
    assert "bravo-image" in body and "alpha-image" not in body
    assert "contabo-images-bravo-" in response["Content-Disposition"]


def test_upload_duplicate_guard_looks_in_the_current_account_only(client, bravo, sent_tasks):
    make_image(name="golden", url="https://example.com/golden.iso")
    client.force_login(member(make_user("mb"), bravo, "manager"))
    client.post(SWITCH, {"account": bravo.pk})
    response = client.post(
        reverse("images:upload"),
        {
            "name": "golden",
            "url": "https://example.com/golden.iso",
            "os_type": "Linux",
            "version": "1",
        },
    )
    assert response.status_code == 302  # A's image is no duplicate in B
