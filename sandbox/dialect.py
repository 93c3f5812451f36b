"""Dialects: ways the real Contabo API may answer differently from its spec, switchable at run
time (`/_sandbox/faults`) or from the command line, so the dashboard can be tested on them.

- `null_fields` / `missing_fields`: image and stats fields (comma-separated) sent as `null` or
  left out; `extra_fields`: fields the spec does not have, on images, envelopes and stats;
  `numbers_as_text`: sizes and counts sent as strings (`"1024"`).
- `inflight_status`: the status a running download reports instead of `downloading`
  (e.g. `processing`); `progress_at_end`: `uploadedSizeMb` stays 0 until the download ends.
- `refuse_order_by`: `orderBy` fields answered with 400 (`*` = every field);
  `page_size_cap`: list pages hold at most this many images (`_pagination.size` says so).
- `token_flap_rate` / `token_flaps`: the token endpoint answers `401 invalid_grant` for valid
  credentials, at that rate or for the next N requests.
- `malformed_ids`: images (comma-separated ids) sent with an unreadable `sizeMb`.
- `unstable_order`: every list request sees the matches in a new random order, so pages overlap
  and miss images (an API whose order is not stable between pages).
"""

import random
from dataclasses import replace

from sandbox.errors import ApiError

TEXT_KNOBS = (
    "null_fields",
    "missing_fields",
    "inflight_status",
    "refuse_order_by",
    "malformed_ids",
)
FLAG_KNOBS = ("extra_fields", "numbers_as_text", "progress_at_end", "unstable_order")
KNOBS = (*TEXT_KNOBS, *FLAG_KNOBS, "page_size_cap", "token_flap_rate", "token_flaps")
# imageId identifies an image: never nulled or left out, or nothing could be matched.
PROTECTED = {"imageId"}
NUMBERS = ("sizeMb", "uploadedSizeMb", "currentImagesCount", "totalSizeMb", "usedSizeMb")
EXTRA_IMAGE = {"progressPercent": None, "region": {"name": "EU", "code": "eu-1"}, "labels": []}


def names(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def validated(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise ApiError(400, f"{name} must be a string")
    if name in ("null_fields", "missing_fields") and PROTECTED & set(names(value)):
        raise ApiError(400, f"{name} cannot include imageId")
    return value


def active(knobs) -> bool:
    """Whether any image-shaping knob is on (the spec's own shape otherwise, untouched)."""
    return any(
        getattr(knobs, name) for name in (*TEXT_KNOBS, *FLAG_KNOBS) if name != "refuse_order_by"
    )


def image(raw: dict, knobs) -> dict:
    """One image as this dialect sends it (a copy; the store is untouched)."""
    if not active(knobs):
        return raw
    out = dict(raw)
    downloading = out.get("status") == "downloading" and not out.get("standardImage")
    if downloading and knobs.progress_at_end:
        out["uploadedSizeMb"] = 0
    if downloading and knobs.inflight_status:
        out["status"] = knobs.inflight_status
    if knobs.extra_fields:
        out.update(EXTRA_IMAGE)
        if out.get("progressPercent") is None and out.get("sizeMb"):
            out["progressPercent"] = round(100 * out["uploadedSizeMb"] / out["sizeMb"])
    _shape(out, knobs)
    if out["imageId"] in names(knobs.malformed_ids):
        out["sizeMb"] = "n/a"
    return out


def stats(raw: dict, knobs) -> dict:
    out = dict(raw)
    if knobs.extra_fields:
        out["currentImagesLimit"] = 50
    _shape(out, knobs)
    return out


def envelope(body: dict, knobs) -> dict:
    if knobs.extra_fields:
        body = {**body, "_meta": {"apiVersion": "sandbox"}}
    return body


def _shape(out: dict, knobs) -> None:
    for field in names(knobs.null_fields):
        if field in out and field not in PROTECTED:
            out[field] = None
    for field in names(knobs.missing_fields):
        if field not in PROTECTED:
            out.pop(field, None)
    if knobs.numbers_as_text:
        for field in NUMBERS:
            if isinstance(out.get(field), int | float):
                out[field] = f"{out[field]:g}"


def refused_order(field: str, knobs) -> bool:
    refused = names(knobs.refuse_order_by)
    return "*" in refused or field in refused


def shuffled_page(store, query) -> tuple[list[dict], int]:
    """One page of the matches in a random order of this request (`unstable_order`)."""
    everything, total = store.search(replace(query, page=1, size=10**9))
    random.shuffle(everything)
    start = (query.page - 1) * query.size
    return everything[start : start + query.size], total


def page_size(size: int, knobs) -> int:
    return min(size, knobs.page_size_cap) if knobs.page_size_cap else size
