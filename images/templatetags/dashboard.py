"""Presentation helpers: human sizes, durations, status badges, sortable headers, SVG charts."""

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from images.models import Status

register = template.Library()

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


@register.inclusion_tag("images/partials/sort_header.html", takes_context=True)
def sort_header(context, key: str, label: str, css: str = "") -> dict:
    """A column header linking to its sort; a second click reverses the order."""
    current = context["criteria"]["sort"]
    if current == key:
        direction, next_sort = "ascending", f"-{key}"
    elif current == f"-{key}":
        direction, next_sort = "descending", key
    else:
        direction, next_sort = None, (f"-{key}" if key in ("size", "date") else key)
    return {
        "request": context["request"],
        "label": label,
        "direction": direction,
        "next_sort": next_sort,
        "css": css,
    }


@register.inclusion_tag("images/partials/usage_chart.html")
def usage_chart(snapshots, width: int = 480, height: int = 200) -> dict:
    """An area chart of used MB (and a line for the total) over the last snapshots."""
    pad_left, pad_right, pad_top, pad_bottom = 70, 12, 12, 30
    inner_w, inner_h = width - pad_left - pad_right, height - pad_top - pad_bottom
    points = [(s.taken_at, s.used_mb, s.total_mb) for s in snapshots]
    if len(points) < 2:
        return {"empty": True, "count": len(points)}
    top = max(max(p[1], p[2]) for p in points) or 1.0
    start, end = points[0][0], points[-1][0]
    span = (end - start).total_seconds() or 1.0

    def x(at) -> float:
        return round(pad_left + inner_w * (at - start).total_seconds() / span, 1)

    def y(mb) -> float:
        return round(pad_top + inner_h * (1 - mb / top), 1)

    used_line = " ".join(f"{x(at)},{y(used)}" for at, used, _ in points)
    base = pad_top + inner_h
    area = f"{x(start)},{base} {used_line} {x(end)},{base}"
    total_line = " ".join(f"{x(at)},{y(total)}" for at, _, total in points)
    ticks = [{"y": y(top * f), "label": human_mb(top * f)} for f in (0, 0.5, 1)]
    last = points[-1]
    return {
        "empty": False,
        "width": width,
        "height": height,
        "area": area,
        "used_line": used_line,
        "total_line": total_line,
        "ticks": ticks,
        "left": pad_left,
        "right": width - pad_right,
        "base": base,
        "start": start,
        "end": end,
        "count": len(points),
        "last_used": last[1],
        "last_total": last[2],
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
