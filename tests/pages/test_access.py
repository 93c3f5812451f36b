"""Every page needs a login; viewers read, managers write, superusers do everything."""

import pytest
from django.urls import reverse

from images.models import Status
from testkit.factories import make_image, make_user

pytestmark = pytest.mark.django_db

READ_PAGES = ["images:list", "images:upload", "images:stats"]


def _pages(image):
    return [
        reverse("images:list"),
        reverse("images:list_live") + f"?ids={image.pk}",
        reverse("images:stats"),
        reverse("images:upload"),
        reverse("images:detail", args=[image.pk]),
        reverse("images:detail_live", args=[image.pk]),
        reverse("images:rename", args=[image.pk]),
        reverse("images:delete", args=[image.pk]),
    ]


def test_anonymous_is_sent_to_login_everywhere(client):
    image = make_image()
    for url in _pages(image):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url


def test_anonymous_writes_are_sent_to_login_and_do_nothing(client):
    image = make_image()
    for url in (reverse("images:refresh"), reverse("images:delete", args=[image.pk])):
        response = client.post(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    image.refresh_from_db()
    assert image.status == Status.DOWNLOADED


def test_anonymous_live_fragment_reloads_the_page_to_login(client):
    image = make_image(status=Status.DOWNLOADING)
    response = client.get(reverse("images:list_live") + f"?ids={image.pk}", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Refresh"] == "true"


def test_login_page_is_styled_and_labelled(client):
    response = client.get(reverse("login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "css/dashboard.css" in html
    assert '<label for="id_username">' in html
    assert '<label for="id_password">' in html


def test_login_then_lands_on_the_list(client):
    make_user("ann", role="viewer")
    response = client.post(reverse("login"), {"username": "ann", "password": "pw-ann"})
    assert response.status_code == 302
    assert response["Location"] == reverse("images:list")


def test_logout_is_a_post_button(viewer_client):
    html = viewer_client.get(reverse("images:list")).content.decode()
    assert f'<form method="post" action="{reverse("logout")}">' in html
    response = viewer_client.post(reverse("logout"))
    assert response.status_code == 302
    assert viewer_client.get(reverse("images:list")).status_code == 302


def test_viewer_reads_but_sees_no_actions(viewer_client):
    image = make_image()
    html = viewer_client.get(reverse("images:list")).content.decode()
    assert "Refresh now" not in html
    assert reverse("images:upload") not in html
    detail = viewer_client.get(reverse("images:detail", args=[image.pk])).content.decode()
    assert reverse("images:rename", args=[image.pk]) not in detail
    assert reverse("images:delete", args=[image.pk]) not in detail
    assert viewer_client.get(reverse("images:stats")).status_code == 200


def test_viewer_is_refused_every_write_with_403(viewer_client):
    image = make_image()
    forbidden = [
        ("get", reverse("images:upload")),
        ("post", reverse("images:upload")),
        ("post", reverse("images:refresh")),
        ("get", reverse("images:rename", args=[image.pk])),
        ("post", reverse("images:rename", args=[image.pk])),
        ("get", reverse("images:delete", args=[image.pk])),
        ("post", reverse("images:delete", args=[image.pk])),
    ]
    for method, url in forbidden:
        response = getattr(viewer_client, method)(url, {"name": "x"} if method == "post" else None)
        assert response.status_code == 403, (method, url)
        assert b"manager role" in response.content
    image.refresh_from_db()
    assert image.status == Status.DOWNLOADED
    assert image.pending_name is None


def test_user_without_a_role_can_read_but_not_write(client):
    client.force_login(make_user("nobody"))
    assert client.get(reverse("images:list")).status_code == 200
    assert client.post(reverse("images:refresh")).status_code == 403


def test_manager_sees_the_actions(manager_client):
    image = make_image()
    html = manager_client.get(reverse("images:list")).content.decode()
    assert "Refresh now" in html
    assert f'href="{reverse("images:upload")}"' in html
    detail = manager_client.get(reverse("images:detail", args=[image.pk])).content.decode()
    assert reverse("images:rename", args=[image.pk]) in detail
    assert reverse("images:delete", args=[image.pk]) in detail


def test_superuser_can_do_everything_and_sees_admin(client, superuser):
    client.force_login(superuser)
    image = make_image()
    html = client.get(reverse("images:list")).content.decode()
    assert f'href="{reverse("admin:index")}"' in html
    assert client.get(reverse("images:upload")).status_code == 200
    response = client.post(reverse("images:delete", args=[image.pk]))
    assert response.status_code == 302
    image.refresh_from_db()
    assert image.status == Status.DELETING


def test_admin_link_only_for_staff(viewer_client):
    html = viewer_client.get(reverse("images:list")).content.decode()
    assert reverse("admin:index") not in html


def test_refresh_now_requests_a_sync_and_keeps_the_filters(manager_client):
    from images.models import AuditEvent

    back = reverse("images:list") + "?q=ubuntu&page=2"
    response = manager_client.post(reverse("images:refresh"), {"next": back}, follow=False)
    assert response.status_code == 302
    assert response["Location"] == back
    assert AuditEvent.objects.filter(action="refresh").count() == 1


def test_refresh_refuses_an_offsite_next(manager_client):
    response = manager_client.post(reverse("images:refresh"), {"next": "//evil.example/"})
    assert response["Location"] == reverse("images:list")


def test_refresh_is_post_only(manager_client):
    assert manager_client.get(reverse("images:refresh")).status_code == 405


def test_skip_link_and_nav(viewer_client):
    html = viewer_client.get(reverse("images:list")).content.decode()
    assert '<a class="skip-link" href="#main">' in html
    assert 'id="main"' in html
    assert 'aria-current="page"' in html
