"""Thin views: read through selectors, write through services."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def image_list(request):
    return render(request, "images/list.html", {})
