"""A read-only look at one account's Contabo API, for the day real credentials are set.

`probe(account)` signs in with a token of its own (the shared token cache is not touched), reads
one page of standard images, lists custom images with every `orderBy` the product uses, asks for
the product's page size to see the API's cap, reads the stats, and gathers the shapes seen (null,
missing and unknown fields, numbers sent as text, unreadable items, status values) with each
call's latency. It only sends GETs and the token request: nothing changes at Contabo, and
nothing is written here. `verdict` says what the dashboard will do differently for the account.
"""

import time
from collections import Counter
from dataclasses import asdict, dataclass, field

import requests
from django.conf import settings

from images.contabo import ContaboClient, ContaboError, InMemoryTokenStore
from images.contabo.auth import TokenProvider
from images.contabo.django import config_for
from images.models import Account
from images.services.listing import NEWEST_FIRST, NO_ORDER
from images.services.mapping import unknown_status


@dataclass
class Call:
    what: str
    ms: float
    outcome: str  # "ok", or the error as the client reports it


@dataclass
class Report:
    account: str
    api_url: str
    calls: list[Call] = field(default_factory=list)
    token_retries: int = 0
    orders: dict[str, str] = field(default_factory=dict)  # orderBy -> "accepted" / the refusal
    page_size_asked: int = 0
    page_size_given: int | None = None
    standard_images: int | None = None
    custom_images: int | None = None
    statuses: dict[str, int] = field(default_factory=dict)
    quirks: dict[str, int] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)
    stats: dict[str, float | None] = field(default_factory=dict)
    stats_missing: list[str] = field(default_factory=list)
    verdict: list[str] = field(default_factory=list)
    error: str = ""  # why the probe stopped early, if it did

    def as_dict(self) -> dict:
        return asdict(self)


class _Probe:
    def __init__(self, account: Account) -> None:
        config = config_for(account)
        self.report = Report(account=account.name, api_url=config.api_url)
        store = InMemoryTokenStore()
        self.tokens = TokenProvider(config, requests.Session(), store, sleep=self._sleep)
        self.client = ContaboClient(config, token_store=store)
        self.statuses: Counter = Counter()
        self.quirks: Counter = Counter()

    def _sleep(self, seconds: float) -> None:
        self.report.token_retries += 1
        time.sleep(seconds)

    def timed(self, what: str, call):
        started = time.monotonic()
        try:
            result = call()
        except ContaboError as exc:
            self.report.calls.append(Call(what, _ms(started), str(exc)))
            raise
        self.report.calls.append(Call(what, _ms(started), "ok"))
        return result

    def seen(self, page) -> None:
        self.statuses.update(image.status for image in page.images)
        self.quirks.update(q for image in page.images for q in image.quirks)
        self.quirks.update(q for q in page.quirks if "_pagination" in q)
        known = {text.split(": ", 1)[0] for text in self.report.unreadable}
        for item in page.skipped:  # the same item shows up in several listings
            if not item.image_id or item.image_id not in known:
                self.report.unreadable.append(f"{item.image_id or '(no id)'}: {item.problem}")

    def run(self) -> Report:
        report = self.report
        self.timed("token (password grant)", self.tokens.access_token)
        standard = self.timed(
            "standard images, page 1",
            lambda: self.client.list_images(page=1, size=10, standard_image=True),
        )
        self.seen(standard)
        report.standard_images = standard.total_elements
        for order in NEWEST_FIRST:
            by = None if order == NO_ORDER else [order]
            try:
                page = self.timed(
                    f"custom images, orderBy={order}",
                    lambda by=by: self.client.list_images(
                        page=1, size=10, standard_image=False, order_by=by
                    ),
                )
            except ContaboError as exc:
                report.orders[order] = f"refused: {exc}"
                continue
            report.orders[order] = "accepted"
            self.seen(page)
            report.custom_images = page.total_elements
        report.page_size_asked = settings.CONTABO_PAGE_SIZE
        big = self.timed(
            f"page size {report.page_size_asked}",
            lambda: self.client.list_images(page=1, size=report.page_size_asked),
        )
        self.seen(big)
        report.page_size_given = big.size
        stats = self.timed("stats", lambda: self.client.get_stats())
        self.quirks.update(stats.quirks)
        report.stats = {
            "currentImagesCount": stats.current_images_count,
            "totalSizeMb": stats.total_size_mb,
            "usedSizeMb": stats.used_size_mb,
            "freeSizeMb": stats.free_size_mb,
        }
        report.stats_missing = stats.missing
        report.statuses = dict(self.statuses.most_common())
        report.quirks = dict(sorted(self.quirks.items()))
        report.verdict = verdict(report)
        return report


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def probe(account: Account) -> Report:
    """Probe the account's API (read-only). A call that fails ends the probe: the report says
    how far it got, and `error` why."""
    runner = _Probe(account)
    try:
        return runner.run()
    except ContaboError as exc:
        report = runner.report
        report.error = str(exc)
        report.verdict = [f"The probe stopped at '{report.calls[-1].what}': {exc}"]
        return report
    finally:
        runner.client.close()


def verdict(report: Report) -> list[str]:
    """What the dashboard will do differently for this account, in plain words."""
    out = []
    if report.token_retries:
        out.append(
            f"Sign-in answered 401 invalid_grant {report.token_retries} time(s) before working: "
            "it is retried with backoff, and queued work waits while it fails."
        )
    accepted = [o for o in NEWEST_FIRST if report.orders.get(o) == "accepted"]
    if accepted and accepted[0] != NEWEST_FIRST[0]:
        out.append(
            f"orderBy={NEWEST_FIRST[0]} is refused: polling will list with "
            f"{'no orderBy' if accepted[0] == NO_ORDER else 'orderBy=' + accepted[0]}."
        )
    if report.page_size_given and report.page_size_given < report.page_size_asked:
        out.append(
            f"Pages are capped at {report.page_size_given} images (asked "
            f"{report.page_size_asked}): polling and sync will ask for {report.page_size_given}."
        )
    odd = sorted(s for s in report.statuses if unknown_status(s))
    if odd:
        out.append(
            f"Status values it does not know ({', '.join(repr(s) for s in odd)}): such custom "
            "images stay in flight, shown as 'Contabo says: …', never ready or failed on a guess."
        )
    kinds = sorted({q.split(":")[0] for q in report.quirks})
    if kinds:
        out.append(
            f"Fields that depart from the spec ({', '.join(kinds)}; see quirks): read "
            "tolerantly (empty text, 0, no date); unknown fields are ignored."
        )
    if report.unreadable:
        out.append(
            f"{len(report.unreadable)} item(s) cannot be read at all: they are skipped, logged "
            "once and counted on the account's health line; every other image is synced."
        )
    if report.stats_missing:
        out.append(
            f"The stats leave out {', '.join(report.stats_missing)}: "
            + (
                "free space is derived from total - used."
                if report.stats_missing == ["freeSizeMb"]
                else "no quota snapshot is recorded until they are sent."
            )
        )
    return out or ["Nothing: this account answers as the spec says."]


def plain(report: Report) -> str:
    """The report as text for a terminal."""
    lines = [f"Contabo probe of account {report.account!r} at {report.api_url} (read-only)", ""]
    lines.append("Calls:")
    lines += [f"  {c.what:<46} {c.ms:>8.1f} ms  {c.outcome}" for c in report.calls]
    lines.append("")
    lines.append(
        f"Standard images: {report.standard_images}; custom images: {report.custom_images}"
    )
    lines.append("orderBy: " + "; ".join(f"{o} {v}" for o, v in report.orders.items()))
    lines.append(f"Page size: asked {report.page_size_asked}, given {report.page_size_given}")
    lines.append("Stats: " + ", ".join(f"{k}={v}" for k, v in report.stats.items()))
    statuses = ", ".join(f"{s or '(empty)'} x{n}" for s, n in report.statuses.items())
    lines.append(f"Status values seen: {statuses or 'none'}")
    quirks = ", ".join(f"{q} x{n}" for q, n in report.quirks.items())
    lines.append(f"Shapes outside the spec: {quirks or 'none'}")
    if report.unreadable:
        lines.append("Unreadable items: " + "; ".join(report.unreadable))
    lines += ["", "What the dashboard will do differently:"]
    lines += [f"  - {line}" for line in report.verdict]
    return "\n".join(lines)
