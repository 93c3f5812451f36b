"""ETag and If-Match: two admins changing one image at once get a 412, not a lost update.

The ETag is a digest of every stored field of the image, so any change (a rename asked for, a
poll's progress, a delete) changes it. PATCH and DELETE read the image under a row lock before
comparing, so the check and the change are one step.
"""

import hashlib

from images.api.problems import PreconditionFailed
from images.models import Image


def etag(image: Image) -> str:
    values = tuple(str(getattr(image, f.attname)) for f in Image._meta.concrete_fields)
    return '"' + hashlib.sha256(repr(values).encode()).hexdigest()[:32] + '"'


def check_if_match(request, image: Image) -> None:
    """PreconditionFailed unless If-Match is absent, `*` or lists the image's current ETag
    (a weak tag never matches, as RFC 9110 asks of If-Match)."""
    header = request.headers.get("If-Match")
    if header is None:
        return
    tags = [tag.strip() for tag in header.split(",")]
    if "*" in tags or etag(image) in tags:
        return
    raise PreconditionFailed()
