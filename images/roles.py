"""The two roles, as Django groups: viewers read, managers also upload, rename and delete.

These are the global roles; images.access decides the role in each account from them and from
account memberships.
"""

from django.contrib.auth.models import Group, Permission

VIEWERS = "viewers"
MANAGERS = "managers"
MANAGE_PERMISSION = "images.manage_images"

_VIEW = ["view_image", "view_auditevent", "view_quotasnapshot", "view_syncrun"]
_MANAGE = ["manage_images"]


def ensure_groups(**_kwargs) -> None:
    """Create or complete both groups; runs after every migrate."""
    view = list(Permission.objects.filter(content_type__app_label="images", codename__in=_VIEW))
    manage = list(Permission.objects.filter(content_type__app_label="images", codename__in=_MANAGE))
    viewers, _ = Group.objects.get_or_create(name=VIEWERS)
    viewers.permissions.add(*view)
    managers, _ = Group.objects.get_or_create(name=MANAGERS)
    managers.permissions.add(*view, *manage)
