"""Bulk actions on the list: delete or retry many images at once.

Each image still goes through its own intent (request_delete, lineage.request_retry: its own
transaction, audit row and task), so one refusal never holds up the others. The outcome says
which were queued and which were refused and why: protected, standard, not a manager, or the
image's own state.
"""

from dataclasses import dataclass, field

from images.models import Image, Status
from images.services import lineage
from images.services.intents import NotAllowed, request_delete, why_unchangeable

NOT_MANAGER = "you are not a manager of this account"
STANDARD = "a standard image: it belongs to Contabo"


@dataclass
class Outcome:
    """What a bulk action did: the images queued, and (image, reason) for each one refused."""

    queued: list[Image] = field(default_factory=list)
    refused: list[tuple[Image, str]] = field(default_factory=list)

    @property
    def freed_mb(self) -> float:
        return sum(image.size_mb for image in self.queued)


def why_not_deletable(image: Image, *, may_manage: bool) -> str | None:
    if not may_manage:
        return NOT_MANAGER
    if image.standard:
        return STANDARD
    if image.protected:
        return "protected against deletion"
    if image.status == Status.QUEUED:
        return "still queued for download"
    return why_unchangeable(image)


def why_not_retryable(image: Image, *, may_manage: bool, remove_failed: bool) -> str | None:
    if not may_manage:
        return NOT_MANAGER
    if image.standard:
        return STANDARD
    if remove_failed and image.protected:
        return "protected against deletion (untick removing the failed ones to retry it)"
    return lineage.why_not_retryable(image)


def _each(images: list[Image], why, act=None) -> Outcome:
    """`act(image)` for each image `why(image)` has no reason against; with no `act`, only
    what would happen. The queued are what `act` returns (the image itself, or the new one)."""
    outcome = Outcome()
    for image in images:
        reason, done = why(image), image
        if reason is None and act is not None:
            try:
                done = act(image) or image
            except NotAllowed as exc:
                reason = str(exc)
        if reason:
            outcome.refused.append((image, reason))
        else:
            outcome.queued.append(done)
    return outcome


def delete_preview(images: list[Image], *, may_manage: bool) -> Outcome:
    """What `bulk_delete` would do, for its confirmation: nothing is changed."""
    return _each(images, lambda image: why_not_deletable(image, may_manage=may_manage))


def bulk_delete(images: list[Image], *, user, may_manage: bool) -> Outcome:
    return _each(
        images,
        lambda image: why_not_deletable(image, may_manage=may_manage),
        lambda image: request_delete(image, user=user),
    )


def bulk_retry(images: list[Image], *, user, may_manage: bool, remove_failed: bool) -> Outcome:
    """A new download for each failed image (the new images are the ones queued)."""
    return _each(
        images,
        lambda image: why_not_retryable(image, may_manage=may_manage, remove_failed=remove_failed),
        lambda image: lineage.request_retry(image, user=user, remove_failed=remove_failed),
    )
