""" "Gone from Contabo" only on Contabo's word: a direct GET of the image answering 404.

A full sync that did not list a settled image does not prove it was deleted (a page the API
capped, an order that moved between pages, an item it could not send): it only makes the image
a suspect, and this module asks the API about each suspect by id.
"""

from django.utils import timezone

from images.contabo import ContaboClient, NotFound, ProtocolError
from images.models import Account, Image, Status
from images.services.listed import ListedIds

SETTLED = (Status.DOWNLOADED, Status.FAILED)
#: Suspects asked about per sync; any others wait for the next sync (a list that suddenly
#: misses thousands of images is more likely wrong than a mass deletion).
MAX_CHECKS = 50


def unlisted(account: Account, listed: ListedIds) -> list[int]:
    """Settled images of the account whose remote id a full list did not show, oldest seen
    first (one query against the ids the sync kept in the database; nothing is written)."""
    rows = Image.objects.filter(account=account, status__in=SETTLED, remote_id__isnull=False)
    return list(
        listed.exclude_from(rows)
        .order_by("seen_at", "pk")[:MAX_CHECKS]
        .values_list("pk", flat=True)
    )


def confirm(client: ContaboClient, pks: list[int], trace_id: str = "gone-check") -> int:
    """GET each suspect: a 404 marks it gone, an answer marks it seen. The number gone.

    Any other error (5xx, network) propagates: the suspect stays as it was for the next sync.
    """
    gone = 0
    for image in Image.objects.filter(pk__in=pks, status__in=SETTLED).only("pk", "remote_id"):
        try:
            client.get_image(image.remote_id, trace_id=trace_id)
        except NotFound:
            gone += Image.objects.filter(pk=image.pk, status__in=SETTLED).update(
                status=Status.GONE, finished_at=timezone.now()
            )
            continue
        except ProtocolError:
            pass  # it answered: the image exists, even if unreadable
        Image.objects.filter(pk=image.pk).update(seen_at=timezone.now())
    return gone
