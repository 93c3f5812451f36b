"""The list's filter widgets rendered in Python give the HTML Django's template widgets give."""

import re

import pytest
from django import forms

from images.forms import ImageFilterForm
from images.widgets import QuickSelect, QuickTextInput


def html(widget, name, value, attrs):
    return re.sub(r"\s+", " ", str(widget.render(name, value, attrs))).replace("> <", "><")


@pytest.mark.parametrize("value", ["", "downloaded", "bogus", None])
def test_select_renders_as_django_does(value):
    choices = ImageFilterForm.base_fields["status"].choices
    attrs = {"id": "id_status", "aria-invalid": "true"}
    quick, plain = QuickSelect(choices=choices), forms.Select(choices=choices)
    assert html(quick, "status", value, attrs) == html(plain, "status", value, attrs)


@pytest.mark.parametrize("value", ["", 'a "quoted" <b>', None])
def test_text_input_renders_as_django_does(value):
    attrs = {"placeholder": "Name or OS", "autocomplete": "off"}
    quick, plain = QuickTextInput(attrs=attrs), forms.TextInput(attrs=attrs)
    assert html(quick, "q", value, {"id": "id_q"}) == html(plain, "q", value, {"id": "id_q"})
