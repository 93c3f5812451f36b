"""Connection settings for the Contabo API client (no Django dependency)."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ContaboConfig:
    """Where and how to reach the Contabo API; secrets are kept out of ``repr``.

    ``auth_url`` is the full OAuth2 token URL, e.g.
    ``https://auth.contabo.com/auth/realms/contabo/protocol/openid-connect/token``.
    """

    api_url: str
    auth_url: str
    client_id: str
    client_secret: str = field(repr=False)
    api_user: str
    api_password: str = field(repr=False)
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_retries: int = 3
    backoff_factor: float = 0.5
    record_dir: str = ""  # when set, every API exchange is written there (recorder.py)

    @property
    def timeout(self) -> tuple[float, float]:
        """The ``(connect, read)`` timeout pair passed to every request."""
        return (self.connect_timeout, self.read_timeout)
