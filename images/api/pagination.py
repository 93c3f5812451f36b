"""Cursor pages of the API list: the list page's keyset pages (images.keyset), forward only.
A page reads one index range whatever its depth, with no COUNT, and rows added meanwhile never
shift a page. The cursor is opaque: the `next` link carries it."""

from rest_framework.exceptions import ValidationError

from images import keyset

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


def page_size(raw: str | None) -> int:
    if raw in (None, ""):
        return DEFAULT_PAGE_SIZE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise ValidationError({"page_size": [f"A whole number from 1 to {MAX_PAGE_SIZE}."]})
    return int(raw)


def page(images, cursor: str | None, size: int) -> tuple[list, str | None]:
    """One page of the list selector's queryset after `cursor`, and the next page's cursor; a
    400 for a cursor that is not one of this list's."""
    key = images.list_key
    if cursor and keyset.decode(cursor, images.model._meta.get_field(key.field)) is None:
        raise ValidationError({"cursor": ["Not a cursor of this list: use `next` as given."]})
    found = keyset.paginate(images, key, after=cursor or None, per_page=size)
    return found.object_list, found.next_cursor
