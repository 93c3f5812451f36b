"""Start-up settings of one sandbox server (filled from the command line)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """Everything fixed for the lifetime of a server process."""

    host: str = "127.0.0.1"
    port: int = 8100
    state: str = "var/sandbox.sqlite3"
    quota_mb: float = 102400
    bandwidth_mbps: float = 10
    token_lifetime_s: int = 300
    refresh_token_lifetime_s: int = 1800
    latency_ms: float = 0
    error_rate: float = 0
    rate_limit_rate: float = 0
    retry_after_s: int = 1
    download_mode: str = "normal"
    stall_timeout_s: float = 30
    # Dialects: ways the real API may differ from the spec (sandbox/dialect.py).
    null_fields: str = ""
    missing_fields: str = ""
    extra_fields: bool = False
    numbers_as_text: bool = False
    inflight_status: str = ""
    refuse_order_by: str = ""
    page_size_cap: int = 0
    token_flap_rate: float = 0
    token_flaps: int = 0
    progress_at_end: bool = False
    malformed_ids: str = ""
    unstable_order: bool = False
    client_id: str = "sandbox"
    client_secret: str = "sandbox-secret"  # noqa: S105 - public sandbox default
    username: str = "admin@sandbox.local"
    password: str = "sandbox-password"  # noqa: S105 - public sandbox default
    tenant_id: str = "DE"
    customer_id: str = "12345"
    allow_remote_control: bool = False
