"""Presentation helpers: human sizes, durations, status badges, sortable headers, SVG charts."""

from django import template
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince

from images.lru import LRU
from images.models import Status
from images.pagination import link_query
from images.redaction import without_credentials
from images.selectors import shown
from images.services.plain_errors import explain

register = template.Library()
register.filter("without_credentials", without_credentials)

BADGE_CLASSES = {
    Status.QUEUED: "queued",
    Status.SUBMITTING: "busy",
    Status.DOWNLOADING: "busy",
    Status.DOWNLOADED: "ok",
    Status.FAILED: "error",
    Status.DELETING: "warn",
    Status.DELETED: "muted",
    Status.GONE: "muted",
}
BADGE_ICONS = {
    "queued": "◷",
    "busy": "↓",
    "ok": "✓",
    "error": "✕",
    "warn": "…",
    "muted": "\u2013",
}


def _locale() -> tuple[str, str]:
    """What decides a kept rendering besides its own values: the timezone and the language."""
    return timezone.get_current_timezone_name(), translation.get_language()


ROW_TEMPLATE = "images/partials/row.html"
ROWS = LRU(5000)  # rendered rows of this process, by what they show (a restart empties it)


@register.simple_tag
def image_rows(images, can_manage: bool = False, oob: bool = False) -> str:
    """The list rows of `images` (row.html each), kept per content in this process (ROWS): a row
    shows only its own columns (selectors.shown) and its progress bar (`image.progress`, the
    values attach_progress computed), so equal keys render alike. Rendering 25 row templates was
    most of a list request's time; a row in flight renders again when its bytes, rate or ETA
    change, a settled row practically never."""
    where = (bool(can_manage), bool(oob), *_locale())
    html = []
    for image in images:
        key = (shown(image), repr(image.progress), where)
        row = ROWS.get(key)
        if row is None:
            context = {"image": image, "can_manage": where[0], "oob": where[1]}
            row = str(render_to_string(ROW_TEMPLATE, context))
            ROWS.set(key, row)
        html.append(row)
    return mark_safe("".join(html))  # noqa: S308 - the output of our own autoescaping template


class KeepNode(template.Node):
    """{% keep a b ... %}...{% endkeep %}: see `keep`."""

    def __init__(self, nodelist, values) -> None:
        self.nodelist = nodelist
        self.values = values
        self.kept = LRU(500)  # this fragment's renderings; gone with the compiled template

    def render(self, context) -> str:
        key = (tuple(value.resolve(context) for value in self.values), *_locale())
        html = self.kept.get(key)
        if html is None:
            html = self.nodelist.render(context)
            self.kept.set(key, html)
        return html


@register.tag
def keep(parser, token) -> KeepNode:
    """`{% keep a b ... %}...{% endkeep %}`: the fragment is rendered once per process for each
    set of values of `a`, `b`... (and the timezone and language), then served as kept. Only
    for a fragment whose every variable is named: never around a CSRF token, a clock-dependent
    value or a message."""
    values = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("endkeep",))
    parser.delete_first_token()
    return KeepNode(nodelist, values)


@register.filter
def human_mb(value) -> str:
    """MB as the API counts them -> '512 MB', '1.5 GB', '2.1 TB'."""
    try:
        mb = float(value)
    except (TypeError, ValueError):
        return "—"
    if mb < 0:
        return "-" + human_mb(-mb)
    if mb < 1024:
        return f"{mb:.1f} MB" if mb < 10 and mb != int(mb) else f"{mb:.0f} MB"
    if mb < 1024 * 1024:
        return f"{mb / 1024:.1f} GB"
    return f"{mb / 1024 / 1024:.2f} TB"


@register.filter
def plain_error(message) -> str:
    """A download error message in plain words (images.services.plain_errors)."""
    return explain(message)


@register.filter
def ago(value) -> str:
    """'just now', '3 minutes ago', '2 days ago'."""
    if not value:
        return "never"
    if (timezone.now() - value).total_seconds() < 60:
        return "just now"
    return f"{timesince(value)} ago"


@register.filter
def duration(seconds) -> str:
    """Seconds -> '45 s', '3 min 20 s', '2 h 5 min'."""
    if seconds is None:
        return "—"
    seconds = round(float(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"


@register.filter
def rate(mb_per_second) -> str:
    if mb_per_second is None:
        return "—"
    value = float(mb_per_second)
    if value >= 1024:
        return f"{value / 1024:.1f} GB/s"
    if value >= 1:
        return f"{value:.1f} MB/s"
    return f"{value * 1024:.0f} KB/s"


@register.simple_tag
def status_badge(image) -> str:
    """Status as a word, an icon and a colour: colour is never the only cue."""
    status = Status(image.status) if image.status in Status.values else None
    kind = BADGE_CLASSES.get(status, "muted")
    label = status.label if status else image.status
    return format_html(
        '<span class="badge badge--{}"><span aria-hidden="true">{}</span> {}</span>',
        kind,
        BADGE_ICONS[kind],
        label,
    )


SORT_ARROWS = {"ascending": "▲", "descending": "▼", None: "↕"}
SORT_HEADER = (
    '<th scope="col"{}{}>\n  <a href="?{}" class="sort-link">{}'
    '<span class="sort-link__arrow" aria-hidden="true">{}</span>'
    '<span class="visually-hidden">{}</span></a>\n</th>'
)


@register.simple_tag(takes_context=True)
def sort_header(context, key: str, label: str, css: str = "") -> str:
    """A column header linking to its sort (the page's query with the new sort and no page or
    cursor); a second click reverses the order. One format_html: four are on every list."""
    current = context["criteria"]["sort"]
    if current == key:
        direction, next_sort = "ascending", f"-{key}"
    elif current == f"-{key}":
        direction, next_sort = "descending", key
    else:
        direction, next_sort = None, (f"-{key}" if key in ("size", "date") else key)
    query = link_query(context["request"].GET, sort=next_sort)
    hint = f" (sorted {direction}, activate to reverse)" if direction else " (activate to sort)"
    return format_html(
        SORT_HEADER,
        format_html(' class="{}"', css) if css else "",
        format_html(' aria-sort="{}"', direction) if direction else "",
        query,
        label,
        SORT_ARROWS[direction],
        hint,
    )


@register.inclusion_tag("images/partials/usage_chart.html")
def usage_chart(snapshots, width: int = 480, height: int = 200) -> dict:
    """An area chart of used MB over the last snapshots, its scale fitted to the data (a month
    of growth is a slope, not a flat line at the bottom of the whole quota). The quota is a
    reference line when it lies near the data, otherwise named at the top as off the scale."""
    pad_left, pad_right, pad_top, pad_bottom = 70, 12, 16, 30
    inner_w, inner_h = width - pad_left - pad_right, height - pad_top - pad_bottom
    points = [(s.taken_at, s.used_mb, s.total_mb) for s in snapshots]
    if len(points) < 2:
        return {"empty": True, "count": len(points)}
    used = [p[1] for p in points]
    total = points[-1][2]
    pad = max((max(used) - min(used)) * 0.15, max(used) * 0.01, 1.0)
    low, top = max(0.0, min(used) - pad), max(used) + pad
    quota_on_scale = bool(total) and total <= top + (top - low)  # within one more data span
    if quota_on_scale:
        top = max(top, total * 1.01)
    start, end = points[0][0], points[-1][0]
    span = (end - start).total_seconds() or 1.0

    def x(at) -> float:
        return round(pad_left + inner_w * (at - start).total_seconds() / span, 1)

    def y(mb) -> float:
        return round(pad_top + inner_h * (1 - (mb - low) / (top - low)), 1)

    used_line = " ".join(f"{x(at)},{y(mb)}" for at, mb, _ in points)
    base = pad_top + inner_h
    ticks = [
        {"y": y(low + (top - low) * f), "label": human_mb(low + (top - low) * f)}
        for f in (0, 0.5, 1)
    ]
    return {
        "empty": False,
        "width": width,
        "height": height,
        "area": f"{x(start)},{base} {used_line} {x(end)},{base}",
        "used_line": used_line,
        "quota_y": y(total) if quota_on_scale else pad_top,
        "quota_on_scale": quota_on_scale,
        "ticks": ticks,
        "left": pad_left,
        "right": width - pad_right,
        "base": base,
        "start": start,
        "end": end,
        "count": len(points),
        "last_used": points[-1][1],
        "last_total": total,
        "first_used": points[0][1],
    }


@register.inclusion_tag("images/partials/quota_bar.html")
def quota_bar(used_mb: float, pending_mb: float, total_mb: float) -> dict:
    """A stacked bar: used, still to download, free; widths in percent of the total."""
    total = total_mb or 1.0
    used = min(100.0, 100.0 * used_mb / total)
    pending = min(100.0 - used, 100.0 * pending_mb / total)
    return {
        "used_pct": round(used, 2),
        "pending_pct": round(pending, 2),
        "free_pct": round(max(0.0, 100.0 - used - pending), 2),
        "used_mb": used_mb,
        "pending_mb": pending_mb,
        "free_mb": max(0.0, total_mb - used_mb),
        "total_mb": total_mb,
    }
