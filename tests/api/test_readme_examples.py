"""The README's Python example runs as written against a live server: its bulk rename renames
what it should, skips what it must not touch and stops at the last page."""

import re
from pathlib import Path

import pytest

from images.models import Image
from images.services.tokens import create_token
from testkit.factories import make_image, make_user

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example(api: str, token: str) -> dict:
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    code = code.replace('"http://127.0.0.1:8000/api/v1"', repr(api))
    code = code.replace('"Bearer cimg_..."', repr(f"Bearer {token}"))
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    return namespace


@pytest.mark.django_db(transaction=True)
def test_bulk_rename_from_the_readme(live_server, settings):
    settings.API_THROTTLE_RATE = "100000/minute"
    _token, secret = create_token(user=make_user("scripter", role="manager"), name="readme")
    old = [make_image(name=f"web-{i}") for i in range(3)]
    other = make_image(name="db-1")
    standard = make_image(name="web-standard", standard=True)
    example = readme_example(f"{live_server.url}/api/v1", secret)
    example["bulk_rename"]("web-", "frontend-")
    pending = dict(Image.objects.values_list("pk", "pending_name"))
    assert [pending[i.pk] for i in old] == ["frontend-0", "frontend-1", "frontend-2"]
    assert pending[other.pk] is None
    assert pending[standard.pk] is None  # a 409, reported and skipped
