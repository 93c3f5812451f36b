"""Export of the inventory as CSV and JSON: the list's filters and sort, every row, safe cells."""

import csv
import io
import json
from datetime import date

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from images import exports, selectors
from images.models import Status
from testkit.factories import make_image

pytestmark = pytest.mark.django_db
CSV = reverse("images:export_csv")
JSON = reverse("images:export_json")


def read_csv(response) -> list[dict]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def read_json(response) -> list[dict]:
    assert isinstance(response, StreamingHttpResponse)
    return json.loads(b"".join(response.streaming_content))


def test_anonymous_users_may_not_export(client):
    make_image()
    assert client.get(CSV).status_code == 302
    assert client.get(JSON).status_code == 302


def test_viewers_may_export(viewer_client):
    make_image()
    assert viewer_client.get(CSV).status_code == 200
    assert viewer_client.get(JSON).status_code == 200
    assert viewer_client.post(CSV).status_code == 405


def test_csv_has_every_field_a_dated_filename_and_a_header(viewer_client):
    image = make_image(name="golden", version="24.04", size_mb=1536.5)
    response = viewer_client.get(CSV)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = date.today().isoformat()
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="contabo-images-default-{today}.csv"'
    )
    [row] = read_csv(response)
    assert list(row) == list(selectors.EXPORT_FIELDS)
    assert row["id"] == str(image.pk)
    assert row["name"] == "golden"
    assert row["status"] == "downloaded"
    assert row["size_mb"] == "1536.5"
    assert row["remote_created_at"].startswith(image.remote_created_at.date().isoformat())


def test_json_is_an_array_of_objects(viewer_client):
    make_image(name="a")
    make_image(name="b", status=Status.FAILED, error_message='He said "no"\n')
    response = viewer_client.get(JSON + "?sort=name")
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].endswith('.json"')
    rows = read_json(response)
    assert [r["name"] for r in rows] == ["a", "b"]
    assert rows[1]["error_message"] == 'He said "no"\n'
    assert set(rows[0]) == set(selectors.EXPORT_FIELDS)


def test_export_honours_filters_and_sort_and_ignores_the_page(viewer_client):
    for i in range(30):  # more than one list page (25)
        make_image(name=f"ubuntu-{i:02d}", size_mb=100 + i)
    make_image(name="debian", size_mb=5000)
    make_image(name="ubuntu-failed", status=Status.FAILED)
    make_image(name="ubuntu-deleted", status=Status.DELETED)
    query = "?q=ubuntu&status=downloaded&sort=-size&page=2"
    rows = read_csv(viewer_client.get(CSV + query))
    assert len(rows) == 30
    assert [r["name"] for r in rows[:2]] == ["ubuntu-29", "ubuntu-28"]
    names = [r["name"] for r in read_json(viewer_client.get(JSON + query))]
    assert names == [r["name"] for r in rows]
    # Without a status filter, deleted images stay out, as on the list.
    names = {r["name"] for r in read_csv(viewer_client.get(CSV + "?q=ubuntu"))}
    assert "ubuntu-failed" in names
    assert "ubuntu-deleted" not in names


def test_an_empty_export_is_still_valid(viewer_client):
    assert read_csv(viewer_client.get(CSV + "?q=nothing")) == []
    assert read_json(viewer_client.get(JSON + "?q=nothing")) == []


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx"])
def test_csv_cells_never_start_a_formula(viewer_client, name):
    make_image(name=name, description="=cmd|' /C calc'!A0")
    [row] = read_csv(viewer_client.get(CSV))
    assert row["name"] == "'" + name
    assert row["description"] == "'=cmd|' /C calc'!A0"


def test_json_keeps_values_as_they_are(viewer_client):
    make_image(name="=1+1")
    [row] = read_json(viewer_client.get(JSON))
    assert row["name"] == "=1+1"


def test_numbers_and_safe_text_are_untouched():
    assert exports.safe_cell(-5.0) == -5.0
    assert exports.safe_cell(None) == ""
    assert exports.safe_cell("ubuntu") == "ubuntu"


def test_rows_are_streamed_in_chunks_not_loaded_at_once(viewer_client, monkeypatch):
    for i in range(5):
        make_image(name=f"img-{i}")
    seen = {}
    real = selectors.export_rows

    def spy(account, criteria, chunk_size=2000):
        rows = real(account, criteria, chunk_size=2)
        seen["type"] = type(rows).__name__
        return rows

    monkeypatch.setattr(selectors, "export_rows", spy)
    response = viewer_client.get(CSV)
    chunks = list(response.streaming_content)
    assert seen["type"] == "generator"  # QuerySet.iterator(), never a list
    assert len(chunks) == 6  # the header, then one chunk per row
    many = list(exports.json_chunks(["n"], ((i,) for i in range(450)), per_chunk=200))
    assert len(many) == 5  # "[", three batches, "]"
    assert json.loads("".join(many)) == [{"n": i} for i in range(450)]


def test_list_links_carry_the_filters_but_not_the_page(viewer_client):
    for i in range(30):
        make_image(name=f"ubuntu-{i}")
    html = viewer_client.get(reverse("images:list") + "?q=ubuntu&sort=name&page=2").content
    html = html.decode()
    assert f'href="{CSV}?q=ubuntu&amp;sort=name"' in html
    assert f'href="{JSON}?q=ubuntu&amp;sort=name"' in html
    plain = viewer_client.get(reverse("images:list")).content.decode()
    assert f'href="{CSV}"' in plain
