"""Several nodes, as on separate machines, behind the same settings: machine A runs a web
(gunicorn, 2 workers), a Celery worker and the one beat; machine B a web and a worker. Each has
its own var/ folder (no key file, broker folder or metrics file is shared), the same keys from the
environment (DJANGO_ENV=production: nothing generated), and one PostgreSQL and one Redis.

Shown: a session opened on one web works on the other; uploads through both webs spread over
both workers; each upload is one remote image; SIGKILL of one worker mid-work loses nothing (the
sweeper re-sends the intent its dead process held, and the submit looks before it posts again).
"""

import re
import secrets
import sys
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

from images.models import Image, Status
from sandbox.testing import free_port
from testkit.factories import make_user
from testkit.processes import ChildProcess, start_celery
from testkit.waiting import wait_for
from tests.fixtures.stack import LOGS

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
NO_PROXY = {"http": "", "https": ""}


class Web:
    """`gunicorn dashboard.wsgi` with 2 worker processes on a free port (gunicorn.conf.py)."""

    def __init__(self, env: dict, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = ChildProcess(
            log_path.stem,
            [
                *(sys.executable, "-m", "gunicorn", "dashboard.wsgi", "--workers", "2"),
                *("--bind", f"127.0.0.1:{self.port}", "--access-logfile", "-"),
            ],
            env=env,
            log_path=log_path,
        )
        wait_for(self._up, timeout=60, message=lambda: f"web to answer:\n{self.process.log()}")

    def _up(self) -> bool:
        assert self.process.running(), self.process.log()
        try:
            return requests.get(self.url + "/healthz", timeout=5, proxies=NO_PROXY).ok
        except requests.RequestException:  # not listening yet, or still loading Django
            return False

    def stop(self) -> None:
        self.process.stop(grace=30)
        LOGS.append(self.process.log())  # scanned for secrets (tests/reliability)


@pytest.fixture
def cluster(stack, tmp_path):
    """Machines A and B; yields {name: processes} and stops everything at the end."""
    shared = {
        **stack.env,
        "DJANGO_ENV": "production",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "ACCOUNTS_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        # Recovery after a killed worker within seconds instead of minutes.
        "SUBMIT_CLAIM_SECONDS": "8",
        "SWEEP_GRACE_SECONDS": "2",
        "SWEEP_INTERVAL_SECONDS": "2",
    }
    webs, machines = [], {}
    try:
        for name in ("a", "b"):
            var = tmp_path / name
            env = {**shared, "DASHBOARD_VAR_DIR": str(var), "PROMETHEUS_MULTIPROC_DIR": str(var)}
            var.mkdir()
            webs.append(Web(env, tmp_path / f"web-{name}.log"))
            log_path = tmp_path / f"worker-{name}.log"
            worker = start_celery(
                "worker", name, env=env, log_path=log_path, extra=("--concurrency", "2")
            )
            stack.processes.append(worker)
            machines[name] = {"web": webs[-1], "worker": worker, "env": env}
        extra = ("--schedule", str(tmp_path / "bs"))
        beat_env = machines["a"]["env"]
        beat = start_celery(
            "beat", "beat", env=beat_env, log_path=tmp_path / "beat.log", extra=extra
        )
        stack.processes.append(beat)
        yield machines
    finally:
        for web in webs:
            web.stop()


def _csrf(session: requests.Session) -> str:
    """The CSRF cookie's value (the newest, should the jar hold one per web)."""
    tokens = [c.value for c in session.cookies if c.name == "csrftoken"]
    assert tokens, f"no CSRF cookie: {session.cookies}"
    return tokens[-1]


def _upload(session: requests.Session, web: Web, name: str, url: str) -> None:
    form = {
        "csrfmiddlewaretoken": _csrf(session),
        "name": name,
        "url": url,
        "os_type": "Linux",
        "version": "1",
        "upload_anyway": "on",
    }
    response = session.post(web.url + "/images/upload/", data=form, allow_redirects=False)
    assert response.status_code == 302, response.text[-2000:]


def _submits(worker: ChildProcess) -> int:
    return len(re.findall(r"images\.tasks\.submit_upload\[[^\]]+\] received", worker.log()))


def test_two_webs_two_workers_one_beat(cluster, contabo, api):
    a, b = cluster["a"], cluster["b"]
    make_user("manu", role="manager")
    browser = requests.Session()
    browser.proxies.update(NO_PROXY)

    # Signed in on web A, the same session is recognised by web B.
    login_page = browser.get(a["web"].url + "/accounts/login/", timeout=60)
    assert login_page.status_code == 200, login_page.text[-2000:]
    signed_in = browser.post(
        a["web"].url + "/accounts/login/",
        data={"csrfmiddlewaretoken": _csrf(browser), "username": "manu", "password": "pw-manu"},
        allow_redirects=False,
    )
    assert signed_in.status_code == 302
    page = browser.get(b["web"].url + "/images/", allow_redirects=False)
    assert page.status_code == 200 and "manu" in page.text

    # Uploads through both webs, spread over both workers, one remote image each.
    contabo.set_faults(bandwidth_mbps=20)
    names = [f"node-{n}" for n in range(10)]
    for n, name in enumerate(names):
        web = (a, b)[n % 2]["web"]
        _upload(browser, web, name, contabo.file_url(f"{name}.qcow2", 2))
    wait_for(
        lambda: Image.objects.filter(name__in=names, status=Status.DOWNLOADED).count() == 10,
        timeout=120,
        interval=0.2,
        message=lambda: f"all uploads: {list(Image.objects.values_list('name', 'status'))}",
    )
    assert _submits(a["worker"]) and _submits(b["worker"]), "one worker did all the work"

    # Worker A killed while it holds submits: nothing lost, still one remote image per upload.
    contabo.set_faults(latency_ms=800)
    more = [f"kill-{n}" for n in range(6)]
    before = _submits(a["worker"])
    for name in more:
        _upload(browser, b["web"], name, contabo.file_url(f"{name}.qcow2", 1))
    wait_for(lambda: _submits(a["worker"]) > before, timeout=60, message="worker A to take one")
    a["worker"].kill()
    contabo.set_faults(latency_ms=0)
    wait_for(
        lambda: Image.objects.filter(name__in=more, status=Status.DOWNLOADED).count() == 6,
        timeout=120,
        interval=0.2,
        message=lambda: (
            f"uploads after the kill: {list(Image.objects.values_list('name', 'status'))}"
        ),
    )
    assert "sweep: re-sent stranded intent" in b["worker"].log(), "the kill stranded nothing"
    remote = sorted(i.name for i in api.iter_images(standard_image=False))
    assert remote == sorted(names + more), "exactly one remote image per upload"

    # Both webs stay ready, and machine B's web counts machine B's worker's calls.
    for machine in (a, b):
        assert (
            requests.get(machine["web"].url + "/readyz", proxies=NO_PROXY, timeout=10).status_code
            == 200
        )
    scraped = requests.get(b["web"].url + "/metrics", proxies=NO_PROXY, timeout=10).text
    created = re.search(
        r'contabo_api_calls_total\{operation="create_image",status="201"\} (\S+)', scraped
    )
    assert created and float(created.group(1)) >= 1
