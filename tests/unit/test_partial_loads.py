"""Image.from_db: an image loaded with some columns has exactly those, whatever their order,
and loads the others on access."""

import pytest

from images import selectors
from images.models import Image
from testkit.factories import make_image

pytestmark = pytest.mark.django_db


def test_an_image_loaded_in_part_has_its_columns_and_loads_the_rest_on_access():
    image = make_image(name="partly", size_mb=5.0)
    part = Image.objects.only("size_mb", "name").get(pk=image.pk)
    assert (part.name, part.size_mb) == ("partly", 5.0)
    assert {"url", "description", "status"} <= part.get_deferred_fields()
    assert part.url == image.url  # read on access
    whole = Image.objects.get(pk=image.pk)
    listed = Image.objects.only(*reversed(selectors.LIST_FIELDS)).get(pk=image.pk)
    assert selectors.shown(listed) == selectors.shown(whole)
    assert listed.get_deferred_fields() == {f.attname for f in Image._meta.concrete_fields} - {
        Image._meta.get_field(name).attname for name in selectors.LIST_FIELDS
    }
