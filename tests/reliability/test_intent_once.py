"""Intent is carried by one task at a time (images/services/task_claims.py).

1. During an API outage a rename and a delete retry with backoff while the sweeper runs every
   second: once the API is back, each reaches it exactly once (it used to be re-sent by every
   sweep: 2 calls after a 60 s outage, 4-5 after 200 s). The outage lasts
   OUTAGE_RESEND_SECONDS (15 in CI; the 60 s and 200 s runs are in docs/RELIABILITY.md).
2. A worker SIGKILLed mid-POST, with the default settings a user runs: every cut-off upload is
   taken over within 30 s (the dead worker stops beating; the sweeper runs every 10 s) and none
   is created twice.
"""

import os
import time

import pytest

from images.models import Image, Status
from testkit.waiting import wait_for
from tests.reliability.harness import FaultRun

pytestmark = pytest.mark.django_db(transaction=True)
OUTAGE_SECONDS = int(os.environ.get("OUTAGE_RESEND_SECONDS", "15"))
RECOVERY_LIMIT = 30.0
RESULTS: dict = {}


@pytest.fixture
def run(request, stack, contabo, manager_client):
    label = request.node.name.removeprefix("test_").replace("_", "-")[:24]
    return FaultRun(stack=stack, sandbox=contabo, client=manager_client, label=label)


def test_intent_held_by_a_scheduled_retry_is_not_swept_nor_run_twice(contabo, manager, api):
    """The rule itself, without timing: a rename and a delete whose retry is scheduled are left
    out by the sweeper, and a second message for them makes no API call."""
    from images import tasks
    from images.services import intents, sweeper, task_claims
    from testkit.factories import make_image

    ids = contabo.seed(2, status="downloaded")
    renamed = make_image(name="old", remote_id=ids[0])
    deleted = make_image(name="gone", remote_id=ids[1])
    intents.request_rename(renamed, user=manager, name="new", description="")
    intents.request_delete(deleted, user=manager)
    Image.objects.update(
        created_at="2000-01-01T00:00:00Z", delete_requested_at="2000-01-01T00:00:00Z"
    )
    for image in (renamed, deleted):  # their first attempt failed; the retry is due in 60 s
        assert task_claims.take(image.pk, f"first-{image.pk}")
        task_claims.schedule(image.pk, f"first-{image.pk}", 60)
    found = sweeper.stale_intents()
    assert (found.renames, found.deletes) == ([], [])
    contabo.reset_calls()
    tasks.rename_image.apply(args=[renamed.pk])  # a copy the old sweeper would have sent
    tasks.delete_image.apply(args=[deleted.pk])
    assert (contabo.calls()["updateImage"], contabo.calls()["deleteImage"]) == (0, 0)
    Image.objects.update(task_until="2000-01-01T00:00:00Z")  # the retries never came
    found = sweeper.stale_intents()
    assert (found.renames, found.deletes) == ([renamed.pk], [deleted.pk])


@pytest.mark.slow
@pytest.mark.timeout(OUTAGE_SECONDS + 400)  # retries wait 1, 2 ... 120 s
def test_a_rename_and_a_delete_reach_the_api_once_after_an_outage(run, contabo):
    seeded = run.seed_downloaded(2)
    run.start()  # sweeper every second: many chances to send the same intent again
    contabo.stop()
    try:
        run.rename(seeded[0])
        run.delete(seeded[1])
        worker = run.stack.processes[0]
        wait_for(
            lambda: "images.tasks.delete_image" in worker.log() and "Retry in" in worker.log(),
            timeout=30,
            message="the delete's first attempt to meet the outage",
        )
        ends = time.monotonic() + OUTAGE_SECONDS
        wait_for(lambda: time.monotonic() >= ends, timeout=OUTAGE_SECONDS + 5, interval=0.5)
    finally:
        contabo.start()  # a new process: its call counters start at zero
    back = time.monotonic()
    run.wait_settled(timeout=OUTAGE_SECONDS + 300)
    calls = contabo.calls()
    outcome = run.verify()
    RESULTS["outage"] = (OUTAGE_SECONDS, calls["updateImage"], calls["deleteImage"])
    print(
        f"\n{OUTAGE_SECONDS} s outage: {calls['updateImage']} rename call(s), "
        f"{calls['deleteImage']} delete call(s) after recovery, settled "
        f"{time.monotonic() - back:.1f} s after the API was back"
    )
    assert (outcome["renamed"], outcome["deleted"]) == (1, 1)
    assert (calls["updateImage"], calls["deleteImage"]) == (1, 1)


@pytest.mark.slow
def test_a_killed_worker_is_recovered_within_30_s_with_default_settings(run, stack, contabo):
    seeded = run.seed_downloaded(2)
    stack.env["POLL_INTERVAL_SECONDS"] = "3"  # the default, as every other interval here
    doomed = stack.start_worker("doomed")
    stack.start_beat()
    contabo.set_faults(latency_ms=2000)
    contabo.reset_calls()
    run.act(3, seeded)
    submitting = Image.objects.filter(pk__in=run.uploads, status=Status.SUBMITTING)
    wait_for(
        lambda: contabo.calls()["createCustomImage"] >= 1 and submitting.exists(),
        timeout=60,
        message="a create call to be on its way",
    )
    doomed.kill()  # SIGKILL while the POST waits out its 2 s latency at the sandbox
    killed = time.monotonic()
    contabo.set_faults(latency_ms=0)
    stack.start_worker("rescuer")
    cut_off = Image.objects.filter(pk__in=run.uploads, remote_id__isnull=True)
    wait_for(
        lambda: not cut_off.exists(),
        timeout=120,
        interval=0.2,
        message=lambda: f"uploads to be taken over: {list(cut_off.values('name', 'status'))}",
    )
    recovered = time.monotonic() - killed
    run.wait_settled()
    outcome = run.verify()
    print(f"\nworker SIGKILL, default settings: every upload submitted {recovered:.1f} s later")
    assert outcome["duplicates"] == 0 and outcome["lost"] == 0, outcome
    assert recovered <= RECOVERY_LIMIT
    assert Image.objects.filter(pk__in=run.uploads, status=Status.DOWNLOADED).count() == 3
