"""Probes for load balancers, process managers and Prometheus: no login, session or secrets.

`/healthz`: the process answers (no database call). `/readyz`: the database, broker and cache
answer (503 naming the failed ones otherwise), with each account's poll and sync freshness.
`/metrics`: Prometheus text (images/metrics.py), for a bearer METRICS_TOKEN or an address in
METRICS_ALLOWED_IPS; anyone else gets a 403.

`ProbeMiddleware`, first in MIDDLEWARE, answers these paths before anything else runs: a probe
arrives by IP (no allowed Host), over plain HTTP behind the TLS terminator (no SSL redirect), and
needs no session or CSRF cookie.
"""

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden, HttpResponseNotAllowed, JsonResponse
from django.utils.cache import add_never_cache_headers

from images import health, metrics


def healthz(request):
    return JsonResponse({"status": "ok"})


def readyz(request):
    ready, body = health.readiness()
    return JsonResponse(body, status=200 if ready else 503)


def _may_scrape(request) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


def prometheus(request):
    if not _may_scrape(request):
        return HttpResponseForbidden(
            "Metrics need Authorization: Bearer <METRICS_TOKEN> or an address in "
            "METRICS_ALLOWED_IPS.\n",
            content_type="text/plain",
        )
    return HttpResponse(metrics.exposition(), content_type=metrics.CONTENT_TYPE)


PROBES = {"/healthz": healthz, "/readyz": readyz, "/metrics": prometheus}


class ProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = PROBES.get(request.path_info)
        if view is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        response = view(request)
        add_never_cache_headers(response)
        return response
