"""Quota page: the legend's precision matches the card's; the chart's scale fits the data."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from testkit.factories import make_snapshot

pytestmark = pytest.mark.django_db
STATS = reverse("images:stats")


def chart_labels(html: str) -> list[str]:
    chart = html.split('class="chart__svg"', 1)[1].split("</svg>", 1)[0]
    return re.findall(r'class="chart__label"[^>]*>([^<]+)</text>', chart)


def test_legend_and_card_agree_on_a_small_percentage(viewer_client):
    make_snapshot(used_mb=3_000, total_mb=1_000_000)
    html = viewer_client.get(STATS).content.decode()
    assert '<span class="kpi__sub">0.3%</span>' in html
    assert "Used 2.9 GB (0.3%)" in html


def test_a_month_of_growth_far_below_the_quota_fills_the_chart(viewer_client):
    start = timezone.now() - timedelta(days=30)
    for day, used in enumerate((40_000, 40_200, 40_500, 41_000)):
        make_snapshot(used_mb=used, total_mb=1_000_000, at=start + timedelta(days=10 * day))
    labels = chart_labels(viewer_client.get(STATS).content.decode())
    ticks = labels[:3]
    assert "0 MB" not in ticks  # the scale starts near the data, not at zero
    assert ticks[0].endswith("GB") and float(ticks[0].split()[0]) >= 38
    assert float(ticks[2].split()[0]) <= 42  # and ends near it, not at 1 TB
    assert "quota 976.6 GB, above this scale ↑" in labels


def test_a_quota_near_the_data_is_drawn_as_a_reference_line(viewer_client):
    start = timezone.now() - timedelta(days=3)
    for day, used in enumerate((80_000, 85_000, 90_000)):
        make_snapshot(used_mb=used, total_mb=100_000, at=start + timedelta(days=day))
    html = viewer_client.get(STATS).content.decode()
    assert "quota 97.7 GB" in chart_labels(html)
    assert "above this scale" not in html
    assert "chart__total--off" not in html
