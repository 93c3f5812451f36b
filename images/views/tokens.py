"""The page where users make, see and revoke their personal API tokens for the JSON API
(/accounts/tokens/).

A new token's secret is in the answer to the POST that made it and nowhere else: not in a
redirect, a message or the session, and that answer is not cached.
"""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from images.forms import NameField
from images.models import ApiToken
from images.services.tokens import create_token, revoke_token

LIFETIMES = [
    ("", "Never"),
    ("7", "7 days"),
    ("30", "30 days"),
    ("90", "90 days"),
    ("365", "1 year"),
]


class TokenForm(forms.Form):
    name = NameField(max_length=100, help_text="What it is for, e.g. “nightly backup script”.")
    expires_in = forms.ChoiceField(label="Expires", choices=LIFETIMES, required=False)

    def expires_at(self):
        days = self.cleaned_data.get("expires_in")
        return timezone.now() + timedelta(days=int(days)) if days else None


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def token_list(request):
    form = TokenForm(request.POST or None)
    created = secret = None
    if request.method == "POST" and form.is_valid():
        created, secret = create_token(
            user=request.user, name=form.cleaned_data["name"], expires_at=form.expires_at()
        )
        form = TokenForm()
    context = {
        "nav": "tokens",
        "form": form,
        "created": created,
        "secret": secret,
        "tokens": ApiToken.objects.filter(user=request.user),
        "now": timezone.now(),
    }
    status = 400 if form.errors else 201 if created else 200
    return render(request, "api/tokens.html", context, status=status)


@require_POST
@login_required
def revoke(request, pk: int):
    token = revoke_token(user=request.user, pk=pk)
    if token is None:
        raise Http404("No such token.")
    messages.success(request, f"The token “{token.name}” is revoked.")
    return redirect("api_tokens")
