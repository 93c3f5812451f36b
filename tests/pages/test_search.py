"""The list's search: a substring of the name or OS type, any case, through an index on both
databases (trigram GIN on PostgreSQL, an FTS5 trigram table on SQLite kept in sync by
triggers), with the same answers as a plain `icontains`."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from images import search
from images.models import Image, OsType, Status
from testkit.factories import make_image

pytestmark = pytest.mark.django_db
LIST = reverse("images:list")


def found(client, q: str) -> list[str]:
    response = client.get(LIST, {"q": q, "status": "all", "sort": "name"})
    assert response.status_code == 200
    return [i.name for i in response.context["page"].object_list]


def plain(q: str) -> list[str]:
    rows = Image.objects.filter(name__icontains=q) | Image.objects.filter(os_type__icontains=q)
    return sorted(rows.values_list("name", flat=True))


def test_substrings_of_name_or_os_in_any_case(viewer_client):
    make_image(name="Ubuntu-24.04-golden-000777")
    make_image(name="debian-12-000778", os_type=OsType.LINUX)
    make_image(name="Server 2022", os_type=OsType.WINDOWS)
    make_image(name='odd "quoted" 100%_name')
    for q in ("000777", "GOLDEN", "en-0", "windows", "inux", "00077", '"quoted"', "100%_", "zz"):
        assert found(viewer_client, q) == plain(q), q
    assert found(viewer_client, "000777") == ["Ubuntu-24.04-golden-000777"]
    assert found(viewer_client, "100%") == ['odd "quoted" 100%_name']  # % is a character
    assert found(viewer_client, "12") == ["debian-12-000778"]  # 2 characters: no index, same


def test_the_index_follows_inserts_renames_and_deletes(viewer_client):
    image = make_image(name="alpha-original")
    assert found(viewer_client, "original") == ["alpha-original"]
    Image.objects.filter(pk=image.pk).update(name="alpha-renamed")
    assert found(viewer_client, "original") == []
    assert found(viewer_client, "renamed") == ["alpha-renamed"]
    image.refresh_from_db()
    image.status = Status.FAILED
    image.save()  # a save that writes every column, the name unchanged
    assert found(viewer_client, "renamed") == ["alpha-renamed"]
    Image.objects.filter(pk=image.pk).delete()
    assert found(viewer_client, "renamed") == []


def test_post_migrate_puts_back_triggers_a_table_rebuild_dropped(viewer_client):
    image = make_image(name="before-rebuild")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for statement in search.UNINSTALL[:3]:  # what SQLite's table rebuild does to triggers
                cursor.execute(statement)
    Image.objects.filter(pk=image.pk).update(name="after-rebuild")
    search.ensure_sqlite_index(using="default")
    assert found(viewer_client, "after-rebuild") == ["after-rebuild"]
    assert found(viewer_client, "before-rebuild") == []
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    assert (search.TABLE in tables) == (connection.vendor == "sqlite")


def test_a_broad_search_reads_the_list_in_order_with_the_same_answers(viewer_client, monkeypatch):
    """Past search.BROAD hits a SQLite search scans the list's index (a LIKE) and stops at a
    page, instead of looking every hit up; it finds the same rows."""
    monkeypatch.setattr(search, "BROAD", 3)
    for i in range(4):
        make_image(name=f"broad-{i}")
    make_image(name="rare-one")
    with CaptureQueriesContext(connection) as queries:
        assert found(viewer_client, "broad") == plain("broad")
    rows = [q["sql"] for q in queries.captured_queries if "images_image" in q["sql"]]
    uses_fts = [sql for sql in rows if "MATCH" in sql]
    assert not uses_fts  # on PostgreSQL always the trigram-indexed LIKE
    with CaptureQueriesContext(connection) as queries:
        assert found(viewer_client, "rare") == ["rare-one"]
    uses_fts = [
        q for q in queries.captured_queries if "images_image" in q["sql"] and "MATCH" in q["sql"]
    ]
    assert bool(uses_fts) == (connection.vendor == "sqlite")


def test_a_search_term_is_probed_for_breadth_once_a_minute(viewer_client):
    make_image(name="rare-one")
    assert found(viewer_client, "rare") == ["rare-one"]
    with CaptureQueriesContext(connection) as again:
        assert found(viewer_client, "rare") == ["rare-one"]
    probes = [q for q in again.captured_queries if "count(*) FROM (SELECT rowid" in q["sql"]]
    assert not probes
