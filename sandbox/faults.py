"""Run-time knobs (fault injection, bandwidth, quota) and per-operation call counters."""

import random
import threading
from dataclasses import asdict, dataclass, fields

from sandbox import dialect
from sandbox.config import Settings
from sandbox.errors import ApiError

DOWNLOAD_MODES = ("normal", "stall", "fail")
OPERATIONS = (
    "retrieveImageList",
    "retrieveImage",
    "createCustomImage",
    "updateImage",
    "deleteImage",
    "retrieveCustomImagesStats",
    "token",
)


@dataclass
class Knobs:
    """Values settable over `/_sandbox/faults`; defaults come from the command line."""

    latency_ms: float
    error_rate: float
    rate_limit_rate: float
    retry_after_s: int
    token_lifetime_s: int
    download_mode: str
    bandwidth_mbps: float
    stall_timeout_s: float
    quota_mb: float
    null_fields: str
    missing_fields: str
    extra_fields: bool
    numbers_as_text: bool
    inflight_status: str
    refuse_order_by: str
    page_size_cap: int
    token_flap_rate: float
    token_flaps: int
    progress_at_end: bool
    malformed_ids: str
    unstable_order: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> "Knobs":
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})


def _number(name: str, value: object, low: float, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ApiError(400, f"{name} must be a number")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ApiError(400, f"{name} must be {bound}")
    return value


def _validated(name: str, value: object) -> object:
    """Check one knob value; raise ApiError(400) when it is out of range."""
    if name in dialect.TEXT_KNOBS:
        return dialect.validated(name, value)
    if name in dialect.FLAG_KNOBS:
        if not isinstance(value, bool):
            raise ApiError(400, f"{name} must be true or false")
        return value
    if name in ("page_size_cap", "token_flaps"):
        return int(_number(name, value, 0))
    if name == "token_flap_rate":
        return _number(name, value, 0, 1)
    if name == "download_mode":
        if value not in DOWNLOAD_MODES:
            raise ApiError(400, f"download_mode must be one of {', '.join(DOWNLOAD_MODES)}")
        return value
    if name in ("error_rate", "rate_limit_rate"):
        return _number(name, value, 0, 1)
    if name in ("retry_after_s", "token_lifetime_s"):
        return int(_number(name, value, 1 if name == "token_lifetime_s" else 0))
    if name == "stall_timeout_s":
        return _number(name, value, 0.1)
    return _number(name, value, 0)


class Faults:
    """Thread-safe holder of the current knobs, the injection dice and the call counters."""

    def __init__(self, settings: Settings):
        self._defaults = Knobs.from_settings(settings)
        self._knobs = Knobs.from_settings(settings)
        self._lock = threading.Lock()
        self._calls = dict.fromkeys(OPERATIONS, 0)
        self._random = random.Random()

    @property
    def knobs(self) -> Knobs:
        """A snapshot of the current knobs."""
        with self._lock:
            return Knobs(**asdict(self._knobs))

    def as_dict(self) -> dict:
        return asdict(self.knobs)

    def update(self, changes: object) -> dict:
        """Apply a partial JSON object of knobs (all or nothing) and return the new state."""
        if not isinstance(changes, dict):
            raise ApiError(400, "Body must be a JSON object")
        known = {f.name for f in fields(Knobs)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ApiError(400, f"Unknown fault knobs: {', '.join(unknown)}")
        checked = {name: _validated(name, value) for name, value in changes.items()}
        with self._lock:
            for name, value in checked.items():
                setattr(self._knobs, name, value)
        return self.as_dict()

    def raise_quota_to(self, used_mb: float) -> None:
        """Grow the quota so that `used_mb` fits (used by bulk seeding)."""
        with self._lock:
            self._knobs.quota_mb = max(self._knobs.quota_mb, used_mb)

    def reset(self) -> None:
        """Knobs back to the command-line defaults, counters to zero."""
        with self._lock:
            self._knobs = Knobs(**asdict(self._defaults))
        self.reset_calls()

    def count(self, operation: str) -> None:
        with self._lock:
            self._calls[operation] += 1

    def calls(self) -> dict[str, int]:
        with self._lock:
            return dict(self._calls)

    def reset_calls(self) -> None:
        with self._lock:
            self._calls = dict.fromkeys(OPERATIONS, 0)

    def token_flap(self) -> bool:
        """Whether this token request answers 401 invalid_grant (a flap of the real endpoint)."""
        with self._lock:
            if self._knobs.token_flaps > 0:
                self._knobs.token_flaps -= 1
                return True
            rate = self._knobs.token_flap_rate
        return rate > 0 and self._random.random() < rate

    def injected_error(self) -> ApiError | None:
        """Roll the dice: an error to answer instead of the real one, or None."""
        knobs = self.knobs
        roll = self._random.random()
        if roll < knobs.rate_limit_rate:
            return ApiError(
                429,
                "Rate-limit reached. Please wait for some time before doing more requests.",
                {"Retry-After": str(knobs.retry_after_s)},
            )
        if roll < knobs.rate_limit_rate + knobs.error_rate:
            if self._random.random() < 0.5:
                return ApiError(500, "Internal Server Error")
            return ApiError(503, "Service Unavailable")
        return None
