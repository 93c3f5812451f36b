"""CONTABO_RECORD_DIR: a trace recorded against the sandbox (in an odd dialect) holds no secret,
and replayed through sync and polling (pytest-httpserver serving it) gives the same result."""

import json
from collections import defaultdict

import pytest
from werkzeug import Response

from images.contabo.django import get_client
from images.contabo.recorder import load
from images.models import Account, Image, Status
from images.services import polling, submit, sync
from images.services.accounts import settings_account
from testkit.factories import make_upload
from testkit.waiting import wait_for

pytestmark = pytest.mark.django_db
DIALECT = {"inflight_status": "processing", "extra_fields": True, "null_fields": "errorMessage"}


def _state() -> set[tuple]:
    return set(Image.objects.values_list("remote_id", "status", "name", "remote_status"))


def _upload(client, sandbox) -> Image:
    image = make_upload(sandbox.file_url("traced.qcow2", 3), name="traced")
    submit.submit(client, image.pk)
    return image


def _until_ready(client, image: Image) -> int:
    cycles = 0

    def ready() -> bool:
        nonlocal cycles
        polling.poll(client, settings_account())
        cycles += 1
        return Image.objects.get(pk=image.pk).status == Status.DOWNLOADED

    wait_for(ready, timeout=60, interval=0.2, message="the traced upload to be ready")
    return cycles


def _record(settings, contabo, directory) -> dict:
    settings.CONTABO_RECORD_DIR = str(directory)
    contabo.seed(4)
    contabo.set_faults(**DIALECT, bandwidth_mbps=3)
    client = get_client()
    sync.sync_images(client, settings_account())
    first = _state()
    image = _upload(client, contabo)
    cycles = _until_ready(client, image)
    sync.sync_images(client, settings_account())
    return {"first": first, "final": _state(), "cycles": cycles}


def _serve(httpserver, trace: list[dict]) -> None:
    """Answer each (method, path, query) with its recorded answers in order, the last one again
    once they run out; the token endpoint gives a fixed token."""
    answers = defaultdict(list)
    for entry in trace:
        key = (entry["method"], entry["path"], tuple(sorted(map(tuple, entry["query"]))))
        answers[key].append(entry)

    def handler(request):
        if request.path == "/token":
            token = {"access_token": "replay", "expires_in": 300, "token_type": "Bearer"}
            return Response(json.dumps(token), content_type="application/json")
        key = (request.method, request.path, tuple(sorted(request.args.items(multi=True))))
        queue = answers.get(key)
        if not queue:
            return Response(json.dumps({"statusCode": 404, "message": "not in trace"}), 404)
        entry = queue.pop(0) if len(queue) > 1 else queue[0]
        body = "" if entry["body"] is None else json.dumps(entry["body"])
        return Response(body, entry["status"], content_type="application/json")

    httpserver.expect_request("").respond_with_handler(handler)


def test_a_recorded_trace_holds_no_secret_and_replays_the_same(
    settings, contabo, httpserver, tmp_path
):
    recorded = _record(settings, contabo, tmp_path / "trace")
    trace = load(tmp_path / "trace")
    text = "\n".join(p.read_text() for p in (tmp_path / "trace").glob("*.json"))
    token = contabo.access_token()
    for secret in (contabo.client_secret, contabo.password, "Bearer ", token.split(".")[0]):
        assert secret not in text
    assert not any("authorization" in {h.lower() for h in e["headers"]} for e in trace)
    posts = [e for e in trace if e["method"] == "POST"]
    assert [p["request_body"]["name"] for p in posts] == ["traced"]
    statuses = {i.get("status") for e in trace for i in (e["body"] or {}).get("data", [])}
    assert "processing" in statuses  # the dialect is in the trace

    Image.objects.all().delete()
    Account.objects.update(list_order="", page_size_cap=None)
    settings.CONTABO_RECORD_DIR = ""
    _serve(httpserver, trace)
    settings.CONTABO_API_URL = httpserver.url_for("").rstrip("/")
    settings.CONTABO_AUTH_URL = httpserver.url_for("/token")
    client = get_client()
    sync.sync_images(client, settings_account())
    assert _state() == recorded["first"]
    image = _upload(client, contabo)
    assert _until_ready(client, image) == recorded["cycles"]
    sync.sync_images(client, settings_account())
    assert _state() == recorded["final"]
    replayed = [request for request, _ in httpserver.log if request.path != "/token"]
    assert len(replayed) == len(trace)  # the same calls, one for one
