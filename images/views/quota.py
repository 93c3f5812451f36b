"""The quota page: storage used and free, its history, the largest images, what is in flight."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from images import selectors
from images.decorators import account_member_required


@require_GET
@account_member_required
def stats(request):
    history = selectors.quota_history(request.account)
    snapshot = history[-1] if history else None
    in_flight = selectors.in_flight_totals(request.account)
    context = {
        "nav": "stats",
        "snapshot": snapshot,
        "history": history,
        "largest": selectors.largest_images(request.account),
        "in_flight": in_flight,
        "quota_left": selectors.quota_left(snapshot, in_flight["remaining_mb"]),
        "heartbeats": selectors.job_heartbeats(request.account),
    }
    if snapshot:
        percent = snapshot.used_percent
        context["used_percent"] = percent
        context["full"] = percent >= 100 or snapshot.free_mb <= 0
        context["warning"] = percent >= 80 and not context["full"]
    return render(request, "images/stats.html", context)
