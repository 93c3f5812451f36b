"""Secrets stay secret: the configured client secret and API password, and every access or
refresh token the sandbox issued, appear in no rendered page, log line, model text or error text.

Tokens: those read from the shared token store (after each fault-matrix run and here), one from
the sandbox's password grant, and, since every token the sandbox issues is a JWT, any JWT at all.
The log scan runs after every database test of the run (it is the last transactional test): it
covers every record logged in this pytest process since tests/reliability was collected (the whole
run when the suite runs together) and the logs of every worker and beat the run started.
"""

import pickle
import re
import traceback

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.admin import site
from django.test import Client
from django.urls import reverse

from images.contabo import (
    AuthenticationError,
    ClientError,
    ContaboError,
    NotFound,
    ProtocolError,
    RateLimited,
    TokenRefused,
    TransientError,
    UnsupportedMediaType,
)
from images.contabo.auth import token_key
from images.contabo.django import DjangoCacheTokenStore, config_from_settings, get_client
from images.models import Image, Status
from images.services import intents, submit, sync
from images.services.accounts import settings_account
from testkit.factories import make_user
from tests.fixtures.stack import LOGS
from tests.reliability.harness import TOKENS_SEEN, remember_tokens

pytestmark = pytest.mark.django_db
JWT = re.compile(r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}")
WRONG_SECRET = "wrong-client-secret-5d1f0c9a"


def secrets_to_hide(sandbox=None) -> set[str]:
    found = {settings.CONTABO_CLIENT_SECRET, settings.CONTABO_API_PASSWORD, WRONG_SECRET}
    found |= TOKENS_SEEN
    if sandbox is not None:
        TOKENS_SEEN.add(sandbox.access_token())
        remember_tokens()
        found |= TOKENS_SEEN
    return {s for s in found if s}


def leaks(text: str, hidden: set[str]) -> list[str]:
    out = [f"secret …{s[-6:]}" for s in hidden if s in text]
    out += [f"JWT …{m[-6:]}" for m in JWT.findall(text)]
    return out


@pytest.fixture
def world(contabo):
    """Images in every state and recorded failures, made by the real services over HTTP."""
    manager = make_user("manu", role="manager")
    contabo.seed(2, name="seeded", status="downloaded", sizeMb=2, uploadedSizeMb=2)
    sync.sync_images(get_client(), settings_account())
    good = intents.request_upload(
        account=settings_account(),
        user=manager,
        name="good",
        url=contabo.file_url("good.qcow2", 1),
        os_type="Linux",
        version="1",
    )
    submit.submit(get_client(), good.pk)
    bad = intents.request_upload(
        account=settings_account(),
        user=manager,
        name="bad",
        url=contabo.file_url("bad.img", 1),
        os_type="Linux",
        version="1",
    )
    try:
        submit.submit(get_client(), bad.pk)
    except UnsupportedMediaType as exc:
        submit.fail(bad.pk, exc)
    seeded = Image.objects.filter(name__startswith="seeded").first()
    intents.request_rename(seeded, user=manager, name="renamed", description="d")
    sync.refresh_stats(get_client(), settings_account())
    # A failing sync and stats call with a wrong client secret: their errors are shown on pages.
    settings.CONTABO_CLIENT_SECRET = WRONG_SECRET
    DjangoCacheTokenStore().delete(token_key(config_from_settings()))
    account = settings_account()
    for call in (
        lambda: sync.sync_images(get_client(), account),
        lambda: sync.refresh_stats(get_client(), account),
    ):
        with pytest.raises(AuthenticationError):
            call()
    settings.CONTABO_CLIENT_SECRET = contabo.client_secret
    remember_tokens()
    return manager


def test_pages_show_no_secrets(world, contabo):
    hidden = secrets_to_hide(contabo)
    assert Image.objects.filter(status=Status.FAILED).exists()
    manager = Client()
    manager.force_login(world)
    admin = Client()
    admin.force_login(make_user("root", superuser=True))
    urls = [
        reverse("images:list"),
        reverse("images:list") + "?status=all",
        reverse("images:stats"),
        reverse("images:upload"),
        reverse("login"),
        reverse("password_change"),
    ]
    ids = list(Image.objects.values_list("pk", flat=True))
    urls.append(reverse("images:list_live") + "?ids=" + ",".join(map(str, ids)))
    for pk in ids:
        for name in ("detail", "detail_live", "rename", "delete"):
            urls.append(reverse(f"images:{name}", args=[pk]))
    admin_urls = [reverse("admin:index")]
    for model in site._registry:
        meta = model._meta
        admin_urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        for pk in model.objects.values_list("pk", flat=True)[:20]:
            admin_urls.append(
                reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[pk])
            )
    scanned = 0
    for client, group in ((manager, urls), (admin, admin_urls)):
        for url in group:
            response = client.get(url)
            assert response.status_code in (200, 302), url
            assert not leaks(response.content.decode(), hidden), url
            scanned += 1
    print(f"\nsecrets scan: {scanned} pages")


def test_models_and_client_objects_show_no_secrets(world, contabo):
    hidden = secrets_to_hide(contabo)
    texts = []
    for model in apps.get_app_config("images").get_models():
        for obj in model.objects.all():
            texts += [str(obj), repr(obj)]
    client = get_client()
    provider = client._tokens if hasattr(client, "_tokens") else None
    token = DjangoCacheTokenStore().get(token_key(config_from_settings()))
    texts += [repr(config_from_settings()), repr(client), repr(provider), repr(token)]
    texts += [str(vars(config_from_settings()).keys())]
    for text in texts:
        assert not leaks(text, hidden), text


def _errors(contabo) -> list[ContaboError]:
    """One real error of every class, provoked at the sandbox (ProtocolError made by hand)."""
    api = get_client()
    caught = []

    def capture(call):
        try:
            call()
        except ContaboError as exc:
            caught.append(exc)
        else:
            raise AssertionError("no error")

    capture(lambda: api.get_image("00000000-0000-4000-8000-00000000dead"))  # NotFound
    capture(
        lambda: api.create_image(
            name="x", url=contabo.file_url("x.img", 1), os_type="Linux", version="1"
        )
    )  # UnsupportedMediaType
    contabo.set_faults(quota_mb=0)
    capture(
        lambda: api.create_image(
            name="x", url=contabo.file_url("x.iso", 1), os_type="Linux", version="1"
        )
    )  # ClientError (402)
    contabo.set_faults(quota_mb=102400, rate_limit_rate=1)
    capture(lambda: api.create_image(name="x", url="https://e/x.iso", os_type="Linux", version="1"))
    contabo.set_faults(rate_limit_rate=0, error_rate=1)
    capture(lambda: api.create_image(name="x", url="https://e/x.iso", os_type="Linux", version="1"))
    contabo.set_faults(error_rate=0)
    settings.CONTABO_CLIENT_SECRET = WRONG_SECRET
    DjangoCacheTokenStore().delete(token_key(config_from_settings()))
    capture(lambda: get_client().get_stats())  # TokenRefused
    settings.CONTABO_CLIENT_SECRET = contabo.client_secret
    TOKENS_SEEN.add(contabo.access_token())
    standard = api.list_images(standard_image=True, size=1).images[0].image_id
    capture(lambda: get_client().delete_image(standard))  # AuthenticationError (403)
    # The sandbox always answers in the spec's shape; this one is made by hand.
    caught.append(ProtocolError(200, "the answer did not have the shape the spec promises"))
    return caught


def test_every_error_class_shows_no_secrets(contabo):
    errors = _errors(contabo)
    classes = {type(e) for e in errors}
    assert classes >= {
        NotFound,
        UnsupportedMediaType,
        ClientError,
        RateLimited,
        TransientError,
        AuthenticationError,
        TokenRefused,
        ProtocolError,
    }, classes
    hidden = secrets_to_hide(contabo)
    for exc in errors:
        texts = [
            str(exc),
            repr(exc),
            repr(exc.args),
            exc.message,
            "".join(traceback.format_exception(exc)),
            pickle.dumps(exc).decode("latin-1"),
        ]
        for text in texts:
            assert not leaks(text, hidden), (type(exc).__name__, text)


@pytest.mark.django_db(transaction=True)  # pytest-django runs these after the plain DB tests
def test_logs_hold_no_secrets(session_logs, contabo):
    """Runs after every DB test of the run, the fault matrix included (transactional tests go
    last, in file order): everything logged so far in this process, and every worker log."""
    hidden = secrets_to_hide(contabo)
    assert session_logs.texts, "the log collector saw nothing"
    for text in session_logs.texts:
        assert not leaks(text, hidden), text
    for n, content in enumerate(LOGS):
        assert not leaks(content, hidden), f"worker/beat log #{n}"
    print(
        f"\nsecrets scan: {len(session_logs.texts)} log records, {len(LOGS)} worker/beat logs, "
        f"{len(hidden)} secrets and tokens"
    )
