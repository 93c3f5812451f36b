"""The list as a CSV or JSON download, with the list's filters and sort order."""

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from images import exports, selectors
from images.decorators import account_member_required
from images.forms import ImageFilterForm


def _export(request, extension: str, content_type: str, chunks):
    criteria = ImageFilterForm(request.GET).criteria()
    rows = selectors.export_rows(request.account, criteria)
    response = StreamingHttpResponse(
        chunks(selectors.EXPORT_FIELDS, rows), content_type=content_type
    )
    account = slugify(request.account.name) or f"account-{request.account.pk}"
    filename = f"contabo-images-{account}-{timezone.localdate():%Y-%m-%d}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@account_member_required
def export_csv(request):
    """Every image the list's filters select, in its sort order (viewers may export too)."""
    return _export(request, "csv", "text/csv; charset=utf-8", exports.csv_lines)


@require_GET
@account_member_required
def export_json(request):
    return _export(request, "json", "application/json", exports.json_chunks)
