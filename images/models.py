"""Local mirror of the Contabo images, their lifecycle, progress, quota history and audit trail.

Fields the API owns are written only by the sync engine (images.services.sync, .polling); fields
the user owns (pending rename, delete request) only by images.services.intents. Each writer uses
conditional updates, so a poll racing a rename or a delete never loses either.
"""

import uuid

from django.conf import settings
from django.db import models

from images import crypto

CONTABO_API = "https://api.contabo.com"
CONTABO_TOKEN_URL = "https://auth.contabo.com/auth/realms/contabo/protocol/openid-connect/token"  # noqa: S105


class Account(models.Model):
    """One Contabo account: its API endpoints and credentials, secrets encrypted at rest.

    The account with `from_settings` takes its endpoints and credentials from the CONTABO_*
    settings each time a client is built (so the environment stays their one source); accounts
    added under /admin/ keep theirs here, the two secrets as Fernet tokens (images.crypto).
    """

    name = models.CharField(max_length=64, unique=True)
    from_settings = models.BooleanField(
        default=False,
        editable=False,
        help_text="Endpoints and credentials come from the CONTABO_* settings.",
    )
    api_url = models.URLField("API URL", default=CONTABO_API, blank=True)
    auth_url = models.URLField("token URL", max_length=500, default=CONTABO_TOKEN_URL, blank=True)
    client_id = models.CharField("client ID", max_length=255, blank=True)
    api_user = models.CharField("API user", max_length=255, blank=True)
    open_to_all = models.BooleanField(
        "open to every user",
        default=False,
        help_text="Every user sees this account with their global role (viewers or managers "
        "group); otherwise only its members and superusers do.",
    )
    # What listing this account's API taught us (images.services.listing), so the next cycle
    # does not pay for the discovery again: the order it accepts and the page size it caps at.
    list_order = models.CharField(max_length=64, blank=True, editable=False)
    page_size_cap = models.PositiveIntegerField(null=True, blank=True, editable=False)
    client_secret_encrypted = models.TextField(blank=True, editable=False)
    api_password_encrypted = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-from_settings", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["from_settings"],
                condition=models.Q(from_settings=True),
                name="one_account_from_settings",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Account {self.pk}: {self.name}>"

    def set_client_secret(self, value: str) -> None:
        self.client_secret_encrypted = crypto.encrypt(value)

    def set_api_password(self, value: str) -> None:
        self.api_password_encrypted = crypto.encrypt(value)

    def client_secret(self) -> str:
        return crypto.decrypt(self.client_secret_encrypted, what=f"client secret of {self.name!r}")

    def api_password(self) -> str:
        return crypto.decrypt(self.api_password_encrypted, what=f"API password of {self.name!r}")

    def rotate_secrets(self) -> None:
        """Re-encrypt both secrets under the newest key (after a key was added in front)."""
        for field in ("client_secret_encrypted", "api_password_encrypted"):
            if getattr(self, field):
                setattr(self, field, crypto.rotate(getattr(self, field), what=field))

    def job_key(self, name: str) -> str:
        """The name of this account's lease or heartbeat for one background job."""
        return f"{name}:{self.pk}"


class AccountMembership(models.Model):
    """A user's role in one account (see images.access for who sees which account)."""

    class Role(models.TextChoices):
        VIEWER = "viewer", "Viewer"
        MANAGER = "manager", "Manager"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_memberships"
    )
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "user"], name="one_membership_per_account")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} in {self.account}"


class OwnedByAccount(models.Model):
    """Rows of one account; every writer names it."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class Status(models.TextChoices):
    """Local lifecycle of an image: a user's intent first, then what the API reports."""

    QUEUED = "queued", "Queued"
    SUBMITTING = "submitting", "Submitting"
    DOWNLOADING = "downloading", "Downloading"
    DOWNLOADED = "downloaded", "Ready"
    FAILED = "error", "Failed"
    DELETING = "deleting", "Deleting"
    DELETED = "deleted", "Deleted"
    GONE = "gone", "Gone from Contabo"


# Rows still on their way to Contabo: they get a progress bar.
IN_FLIGHT = (Status.QUEUED, Status.SUBMITTING, Status.DOWNLOADING)


class OsType(models.TextChoices):
    LINUX = "Linux", "Linux"
    WINDOWS = "Windows", "Windows"


_LOAD_PLANS: dict[tuple, list] = {}  # Image.from_db: loaded names -> each field's position


class Image(OwnedByAccount):
    """One standard or custom image, as last seen at Contabo plus what a user asked for."""

    # NULL until Contabo accepted the upload: many such rows, unique once set.
    remote_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    standard = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)

    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    url = models.URLField(max_length=2048)
    os_type = models.CharField(max_length=32)
    version = models.CharField(max_length=255)
    format = models.CharField(max_length=8, blank=True)

    # As the API reports them.
    remote_status = models.CharField(max_length=32, blank=True)
    error_message = models.TextField(blank=True)
    size_mb = models.FloatField(default=0)
    uploaded_size_mb = models.FloatField(default=0)
    tenant_id = models.CharField(max_length=16, blank=True)
    customer_id = models.CharField(max_length=64, blank=True)
    tags = models.JSONField(default=list, blank=True)
    remote_created_at = models.DateTimeField(null=True, blank=True)
    remote_modified_at = models.DateTimeField(null=True, blank=True)

    # Lifecycle bookkeeping.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    seen_at = models.DateTimeField(null=True, blank=True, help_text="Last confirmed remotely.")
    submit_attempts = models.PositiveSmallIntegerField(default=0)
    submit_started_at = models.DateTimeField(null=True, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True, help_text="Last time bytes arrived.")
    finished_at = models.DateTimeField(null=True, blank=True)

    # User intent waiting for the API.
    # NULL means "no rename pending"; an empty pending description is a real request.
    pending_name = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    pending_description = models.TextField(null=True, blank=True)  # noqa: DJ001
    renamed_at = models.DateTimeField(null=True, blank=True)
    delete_requested_at = models.DateTimeField(null=True, blank=True)
    protected = models.BooleanField(
        default=False,
        help_text="A manager protected it: it cannot be deleted until it is unprotected.",
    )
    prior_status = models.CharField(max_length=16, blank=True)
    action_error = models.TextField(blank=True, help_text="Why the last rename or delete failed.")
    wait_reason = models.TextField(
        blank=True, help_text="Why a queued upload, rename or delete is waiting (e.g. sign-in)."
    )
    # The Celery task carrying that intent (services/task_claims.py): the sweeper re-sends it
    # only once nobody carries it (time passed, or the worker stopped beating).
    task_id = models.CharField(max_length=64, blank=True)
    task_worker = models.CharField(max_length=200, blank=True)
    task_until = models.DateTimeField(null=True, blank=True)

    # Lineage: the image this one retries (same fields) or replaces (a newer version of it).
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaced_by"
    )
    delete_replaced_when_done = models.BooleanField(
        default=False,
        help_text="Once this image is downloaded, delete the version it replaces.",
    )

    class Meta:
        ordering = ["-created_at"]
        # The list's sorts, each with the account before and the primary key after: one index
        # range per page, whatever the page (keyset pagination, images/keyset.py). The status
        # last lets a typed page number count the hidden rows out from the index alone.
        indexes = [
            models.Index(fields=["status", "standard"]),
            models.Index(fields=["os_type"]),
            models.Index(fields=["account", "name", "id", "status"], name="image_list_name"),
            models.Index(fields=["account", "size_mb", "id", "status"], name="image_list_size"),
            models.Index(
                fields=["account", "remote_created_at", "id", "status"], name="image_list_date"
            ),
            models.Index(fields=["account", "status", "id"], name="image_list_status"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["account", "remote_id"], name="remote_id_per_account")
        ]
        permissions = [("manage_images", "Can upload, rename, delete and refresh images")]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def from_db(cls, db, field_names, values):
        """Django's from_db, with the loaded columns placed by a plan kept per set of names: the
        list loads 21 of the 40 columns (selectors.LIST_FIELDS), and Django looks every field up
        in the loaded names for every row (26 rows: 0.30 ms, with the plan 0.14 ms)."""
        fields = cls._meta.concrete_fields
        if len(values) != len(fields):
            plan = _LOAD_PLANS.get(names := tuple(field_names))
            if plan is None:
                where = {name: i for i, name in enumerate(names)}
                plan = _LOAD_PLANS[names] = [where.get(f.attname) for f in fields]
            values = [models.DEFERRED if i is None else values[i] for i in plan]
        new = cls(*values)
        new._state.adding = False
        new._state.db = db
        return new

    @property
    def deleted_or_gone(self) -> bool:
        return self.status in (Status.DELETED, Status.GONE)

    @property
    def percent(self) -> float:
        if not self.size_mb:
            return 0.0
        return min(100.0, 100.0 * self.uploaded_size_mb / self.size_mb)


class ProgressSample(models.Model):
    """Bytes fetched at one poll, kept while a download runs to derive its rate and ETA."""

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="samples")
    at = models.DateTimeField()
    uploaded_mb = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["image", "at"])]

    def __str__(self) -> str:
        return f"{self.image_id} {self.uploaded_mb} MB at {self.at:%H:%M:%S}"


class QuotaSnapshot(OwnedByAccount):
    """The custom-image stats as reported at one moment; the history feeds the usage chart."""

    taken_at = models.DateTimeField(auto_now_add=True, db_index=True)
    image_count = models.PositiveIntegerField()
    total_mb = models.FloatField()
    used_mb = models.FloatField()
    free_mb = models.FloatField()
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-taken_at"]
        get_latest_by = "taken_at"

    def __str__(self) -> str:
        return f"{self.used_mb:.0f}/{self.total_mb:.0f} MB at {self.taken_at:%Y-%m-%d %H:%M}"

    @property
    def used_percent(self) -> float:
        return 100.0 * self.used_mb / self.total_mb if self.total_mb else 0.0


class SyncRun(OwnedByAccount):
    """One full reconciliation of the remote list with the local mirror."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    added = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    gone = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"sync at {self.started_at:%Y-%m-%d %H:%M:%S}"


class AuditEvent(OwnedByAccount):
    """Who asked for what, and what the API answered (with its x-request-id)."""

    class Outcome(models.TextChoices):
        REQUESTED = "requested", "Requested"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    image = models.ForeignKey(
        Image, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    image_name = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(max_length=32)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    message = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.outcome} {self.image_name}"


class Lease(models.Model):
    """A named lock that expires, so one poll cycle runs at a time across workers and beats."""

    name = models.CharField(max_length=64, primary_key=True)
    owner = models.CharField(max_length=64)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} until {self.expires_at:%H:%M:%S}"

    @staticmethod
    def new_owner() -> str:
        return uuid.uuid4().hex


class WorkerBeat(models.Model):
    """A running Celery worker (`host:pid` of its main process) and when it last said so."""

    name = models.CharField(max_length=200, primary_key=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class Heartbeat(models.Model):
    """Last success and last failure of one background job (poll, sync, stats)."""

    name = models.CharField(max_length=32, primary_key=True)
    ok_at = models.DateTimeField(null=True, blank=True)
    error_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    note = models.TextField(blank=True, help_text="What the last run skipped.")
    started_at = models.DateTimeField(
        null=True, blank=True, help_text="When the last run began (the poll spaces its cycles)."
    )
    queued_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a run was sent that no worker took yet (polls: one at a time).",
    )

    def __str__(self) -> str:
        return self.name

    @property
    def failing(self) -> bool:
        return bool(self.error_at and (not self.ok_at or self.error_at > self.ok_at))


class NotificationPreference(models.Model):
    """Which download outcomes one user wants by e-mail; nobody gets mail without opting in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_on_downloaded = models.BooleanField("E-mail me when a download is ready", default=False)
    email_on_error = models.BooleanField("E-mail me when a download fails", default=False)
    email_on_stalled = models.BooleanField("E-mail me when a download stalls", default=False)

    def __str__(self) -> str:
        return f"notifications of {self.user}"


class Notification(models.Model):
    """One announcement of a download outcome, sent at most once per image and kind.

    Each channel (e-mail, webhook) has its own delivery state, so a webhook being retried never
    sends the e-mails again. A channel is claimed (SENDING) before it is sent; a claim left by a
    crashed worker expires and the sweeper hands the notification out again.
    """

    class Kind(models.TextChoices):
        DOWNLOADED = "downloaded", "Download ready"
        ERROR = "error", "Download failed"
        STALLED = "stalled", "Download stalled"

    class Delivery(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Nothing to send"
        FAILED = "failed", "Failed"

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    email_state = models.CharField(max_length=8, choices=Delivery.choices, default=Delivery.PENDING)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_recipients = models.PositiveIntegerField(default=0)
    webhook_state = models.CharField(
        max_length=8, choices=Delivery.choices, default=Delivery.PENDING
    )
    webhook_claimed_at = models.DateTimeField(null=True, blank=True)
    webhook_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["image", "kind"], name="one_notification_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.image_id}"


class ApiToken(models.Model):
    """A personal token for the JSON API: it acts as its user, with the user's role in each
    account. Only a SHA-256 of the secret is kept; the secret is shown once, at creation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="The secret's first characters, to tell it.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def __repr__(self) -> str:
        return f"<ApiToken {self.pk}: {self.prefix}… of user {self.user_id}>"


class IdempotencyKey(models.Model):
    """An Idempotency-Key a user sent with an upload through the API, and the image it made:
    the same key again answers with that image instead of queueing a second one."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request's fields.")
    image = models.ForeignKey(Image, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_idempotency_key_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.key} of user {self.user_id}"
