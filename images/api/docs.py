"""The interactive API page: Swagger UI from our own static files (drf-spectacular-sidecar, no
CDN), its start-up script served as a file of its own (no inline script, for a strict CSP)."""

from drf_spectacular.views import SpectacularSwaggerSplitView


class DocsView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"
