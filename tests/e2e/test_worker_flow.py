"""End to end with real Celery processes: the web side stores intent, workers talk to the API.

Runs on whatever broker and database the settings name: the filesystem broker with SQLite by
default, Redis with PostgreSQL when REDIS_URL and DATABASE_URL are set (CI runs both).
"""

import pytest

from images import tasks
from images.contabo import NotFound
from images.models import Image, Status
from images.services import intents
from images.services.accounts import settings_account
from testkit.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def manager(django_user_model):
    return django_user_model.objects.create_user("manager")


def upload(user, sandbox, name, size_mb):
    return intents.request_upload(
        account=settings_account(),
        user=user,
        name=name,
        url=sandbox.file_url(f"{name}.qcow2", size_mb),
        os_type="Linux",
        version="24.04",
    )


def test_upload_rename_delete_through_a_real_worker(worker, contabo, api, manager):
    contabo.set_faults(bandwidth_mbps=2)
    image = upload(manager, contabo, "e2e", size_mb=6)
    assert image.status == Status.QUEUED
    statuses, progress = [], []

    def downloaded():
        image.refresh_from_db()
        statuses.append(image.status)
        progress.append(image.uploaded_size_mb)
        return image.status == Status.DOWNLOADED

    wait_for(downloaded, timeout=60, interval=0.1, message="the download to finish")
    assert Status.DOWNLOADING in statuses
    partial = [mb for mb in progress if 0 < mb < 6]
    assert len(set(partial)) >= 2, f"progress did not rise visibly: {progress}"
    assert progress == sorted(progress)
    assert api.get_image(image.remote_id).status == "downloaded"

    intents.request_rename(image, user=manager, name="e2e renamed", description="by a test")
    wait_for(
        lambda: api.get_image(image.remote_id).name == "e2e renamed",
        timeout=30,
        message="the rename to reach the sandbox",
    )
    wait_for(
        lambda: Image.objects.get(pk=image.pk).pending_name is None,
        timeout=30,
        message="the rename to be confirmed locally",
    )
    assert Image.objects.get(pk=image.pk).name == "e2e renamed"

    image.refresh_from_db()
    intents.request_delete(image, user=manager)
    wait_for(
        lambda: Image.objects.get(pk=image.pk).status == Status.DELETED,
        timeout=30,
        message="the delete to finish",
    )
    with pytest.raises(NotFound):
        api.get_image(image.remote_id)


def test_an_image_made_elsewhere_appears_after_a_sync(worker, contabo, api):
    created = api.create_image(
        name="made in the panel",
        url=contabo.file_url("panel.iso", 1),
        os_type="Windows",
        version="2022",
    )
    tasks.sync_images.delay(settings_account().pk)
    found = wait_for(
        lambda: Image.objects.filter(remote_id=created.image_id).first(),
        timeout=30,
        message="the sync to add the image",
    )
    assert found.name == "made in the panel"
    assert found.os_type == "Windows"


def test_two_workers_share_uploads_and_create_each_image_once(stack, contabo, api, manager):
    first = stack.start_worker("w1", concurrency=1)
    second = stack.start_worker("w2", concurrency=1)
    stack.start_beat()
    images = [upload(manager, contabo, f"shared-{n}", size_mb=1) for n in range(12)]
    for image in images:  # a duplicate delivery of every message
        tasks.submit_upload.delay(image.pk)

    def all_downloaded():
        return Image.objects.filter(standard=False, status=Status.DOWNLOADED).count() == len(images)

    wait_for(
        all_downloaded,
        timeout=90,
        interval=0.2,
        message=lambda: (
            f"all uploads to finish: {list(Image.objects.values_list('status', 'error_message'))}"
        ),
    )
    names = sorted(i.name for i in api.iter_images(standard_image=False))
    assert names == sorted(i.name for i in images), "exactly one remote image per upload"
    received = [w.log().count("images.tasks.submit_upload") for w in (first, second)]
    assert all(received), f"one worker did all the work: {received}"


def test_a_user_action_is_served_by_the_user_worker_while_polls_wait(stack, contabo, api, manager):
    """The Procfile's `worker` consumes only the user queue: a rename runs at once although a
    backlog of polls and syncs (queues nobody serves here) is waiting."""
    from dashboard.celery import app
    from images.services import sync

    contabo.seed(1, status="downloaded", name="mine")
    sync.sync_images(api, settings_account())
    image = Image.objects.get(standard=False)
    account = settings_account()
    for _ in range(200):
        app.send_task("images.tasks.poll_downloads", args=[account.pk])
        app.send_task("images.tasks.sync_images", args=[account.pk])
    stack.start_worker("user", 2, "--queues", "user")
    intents.request_rename(image, user=manager, name="renamed first", description="")
    wait_for(
        lambda: api.get_image(image.remote_id).name == "renamed first",
        timeout=30,
        message="the rename to be served by the user worker",
    )
