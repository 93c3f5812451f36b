"""The fault-matrix harness: drive uploads, renames and deletes through the pages while the
sandbox misbehaves, wait until every intent has settled, then check the outcome remotely.

"Settled" means every row the run touched is in a final, visible state: uploads `downloaded` or
`error`, renames applied or refused with a message, deletes done or rolled back with a message.
"""

import time
from collections import Counter
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.html import escape

from images.contabo.django import get_client
from images.models import Image, Status
from images.services import sync
from images.services.accounts import settings_account
from testkit.waiting import wait_for

# Worker and beat intervals for fault runs: sweep every second, take over a claim after 8 s
# (longer than the slowest create under 2 s latency: list + POST), leave intent 2 s to its task.
FAST_ENV = {
    "SWEEP_INTERVAL_SECONDS": "1",
    "SUBMIT_CLAIM_SECONDS": "8",
    "SWEEP_GRACE_SECONDS": "2",
    "SYNC_INTERVAL_SECONDS": "600",
    "STATS_INTERVAL_SECONDS": "600",
}
NO_FAULTS = {
    "latency_ms": 0,
    "error_rate": 0,
    "rate_limit_rate": 0,
    "download_mode": "normal",
    "token_lifetime_s": 300,
    "bandwidth_mbps": 1000,
}
SETTLE_TIMEOUT = 120
FINAL = (Status.DOWNLOADED, Status.FAILED, Status.DELETED, Status.GONE)

FAULT_ROWS: list[dict] = []
# Access and refresh tokens seen in the shared token store after each run, for the secrets scan.
TOKENS_SEEN: set[str] = set()


def remember_tokens() -> None:
    from images.contabo.auth import token_key
    from images.contabo.django import DjangoCacheTokenStore, config_from_settings

    token = DjangoCacheTokenStore().get(token_key(config_from_settings()))
    if token is not None:
        TOKENS_SEEN.update(t for t in (token.access_token, token.refresh_token) if t)


def format_table(rows: list[dict]) -> str:
    head = (
        "| fault | uploads | completed | duplicates | lost | renames | deletes "
        "| recovered in (s) | measured from |"
    )
    lines = [head, "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['fault']} | {r['uploads']} | {r['completed']} | {r['duplicates']} "
            f"| {r['lost']} | {r['renames']} | {r['deletes']} | {r['recovered_s']:.1f} "
            f"| {r['from']} |"
        )
    return "\n".join(lines)


@dataclass
class FaultRun:
    """One row of the matrix: the stack, the sandbox, a manager's browser session."""

    stack: object
    sandbox: object
    client: object
    label: str
    uploads: list[int] = field(default_factory=list)
    renames: dict[int, str] = field(default_factory=dict)
    deletes: list[int] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def start(self, *, worker: bool = True, beat: bool = True):
        self.stack.env.update(FAST_ENV)
        if worker:
            self.stack.start_worker()
        if beat:
            self.stack.start_beat()
        return self

    # --- setup ---------------------------------------------------------------------------------

    def seed_downloaded(self, count: int) -> list[Image]:
        """Ready images at the sandbox, mirrored locally by a sync, for renames and deletes."""
        ids = self.sandbox.seed(
            count,
            name=f"{self.label}-seed",
            status="downloaded",
            sizeMb=1,
            uploadedSizeMb=1,
            url=self.sandbox.file_url("seed.qcow2", 1),
        )
        sync.sync_images(get_client(), settings_account())
        return list(Image.objects.filter(remote_id__in=ids).order_by("name"))

    # --- the user's actions, through the pages ----------------------------------------------

    def upload(self, count: int) -> None:
        for n in range(count):
            name = f"{self.label}-up-{n}"
            response = self.client.post(
                reverse("images:upload"),
                {
                    "name": name,
                    "url": self.sandbox.file_url(f"{name}.qcow2", 1),
                    "os_type": "Linux",
                    "version": "24.04",
                    "description": "fault matrix",
                },
            )
            assert response.status_code == 302, response.content.decode()[:2000]
            self.uploads.append(Image.objects.get(name=name).pk)

    def rename(self, image: Image) -> None:
        new = f"{image.name} renamed"
        response = self.client.post(
            reverse("images:rename", args=[image.pk]), {"name": new, "description": "new"}
        )
        assert response.status_code == 302
        self.renames[image.pk] = new

    def delete(self, image: Image) -> None:
        response = self.client.post(reverse("images:delete", args=[image.pk]))
        assert response.status_code == 302
        self.deletes.append(image.pk)

    def act(self, uploads: int = 3, seeded: list[Image] | None = None) -> None:
        """The standard workload: N uploads, one rename and one delete of seeded images."""
        self.upload(uploads)
        if seeded:
            self.rename(seeded[0])
            self.delete(seeded[1])

    # --- waiting and checking -------------------------------------------------------------

    def unsettled(self) -> list[str]:
        left = []
        for image in Image.objects.filter(pk__in=self.uploads):
            if image.status not in FINAL:
                left.append(f"upload {image.name}: {image.status}")
        for image in Image.objects.filter(pk__in=list(self.renames)):
            if image.pending_name is not None:
                left.append(f"rename {image.name}: pending")
        for image in Image.objects.filter(pk__in=self.deletes):
            if image.status == Status.DELETING:
                left.append(f"delete {image.name}: deleting")
        return left

    def wait_settled(self, timeout: float = SETTLE_TIMEOUT) -> float:
        """Wait until everything has settled; returns the monotonic time it happened."""
        wait_for(
            lambda: not self.unsettled(),
            timeout=timeout,
            interval=0.2,
            message=lambda: f"{self.label} to settle: {self.unsettled()}\n{self._logs()}",
        )
        return time.monotonic()

    def _logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.log()[-3000:]}" for p in self.stack.processes)

    def verify(self) -> dict:
        """Faults off, then compare with the sandbox: one remote image per upload, changes done.

        Every page of every touched image must show its final state, with the error if any.
        """
        self.sandbox.set_faults(**NO_FAULTS)
        remote = list(get_client().iter_images(standard_image=False))
        remember_tokens()
        names = Counter(r.name for r in remote)
        uploads = list(Image.objects.filter(pk__in=self.uploads))
        duplicates = sum(names[i.name] - 1 for i in uploads if names[i.name] > 1)
        completed = [i for i in uploads if i.status == Status.DOWNLOADED and names[i.name] == 1]
        lost = len(uploads) - len(completed)
        by_id = {r.image_id: r for r in remote}
        remote_ids = dict(Image.objects.filter(pk__in=self.renames).values_list("pk", "remote_id"))
        renamed = sum(
            1
            for pk, new in self.renames.items()
            if remote_ids[pk] in by_id and by_id[remote_ids[pk]].name == new
        )
        deleted = sum(
            1
            for image in Image.objects.filter(pk__in=self.deletes)
            if image.status == Status.DELETED and image.remote_id not in by_id
        )
        self.check_pages()
        return {
            "uploads": len(uploads),
            "completed": len(completed),
            "duplicates": duplicates,
            "lost": lost,
            "renames": f"{renamed}/{len(self.renames)}",
            "deletes": f"{deleted}/{len(self.deletes)}",
            "renamed": renamed,
            "deleted": deleted,
        }

    def check_pages(self) -> None:
        touched = [*self.uploads, *self.renames, *self.deletes]
        listing = self.client.get(reverse("images:list") + "?status=all").content.decode()
        for image in Image.objects.filter(pk__in=touched):
            html = self.client.get(reverse("images:detail", args=[image.pk])).content.decode()
            assert escape(image.name) in html
            assert Status(image.status).label in html, (image.name, image.status)
            if image.status == Status.FAILED:
                assert escape(image.error_message) in html
            if image.action_error:
                assert escape(image.action_error) in html
            assert escape(image.name) in listing

    def record(self, table: list, fault: str, recovered_from: float, origin: str) -> dict:
        settled_at = self.wait_settled()
        outcome = self.verify()
        row = {
            "fault": fault,
            **outcome,
            "recovered_s": settled_at - recovered_from,
            "from": origin,
        }
        table.append(row)
        assert outcome["duplicates"] == 0, row
        assert outcome["lost"] == 0, (row, self.unsettled(), self._states())
        assert outcome["renamed"] == len(self.renames), (row, self._states())
        assert outcome["deleted"] == len(self.deletes), (row, self._states())
        return row

    def _states(self) -> list:
        touched = [*self.uploads, *self.renames, *self.deletes]
        return list(
            Image.objects.filter(pk__in=touched).values_list(
                "name", "status", "error_message", "action_error", "submit_attempts"
            )
        )
