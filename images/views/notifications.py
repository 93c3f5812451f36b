"""Each user's notification settings."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from images.forms import NotificationPreferenceForm
from images.models import NotificationPreference


@require_http_methods(["GET", "POST"])
@login_required
def notification_settings(request):
    """Each user opts in to e-mails for the outcomes they care about."""
    preference, _ = NotificationPreference.objects.get_or_create(user=request.user)
    form = NotificationPreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your notification settings are saved.")
        return redirect("images:notifications")
    context = {
        "nav": "notifications",
        "form": form,
        "has_email": bool(request.user.email),
        "webhook_on": bool(settings.NOTIFY_WEBHOOK_URL),
        "stall_minutes": settings.STALL_AFTER_SECONDS / 60,
    }
    return render(request, "images/notifications.html", context, status=400 if form.errors else 200)
