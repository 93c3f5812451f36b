"""The list's filter widgets, rendered in Python: the form is on every list request, and Django's
template-rendered widgets (a template per option and per attribute list) cost 0.8 ms of a 6 ms
page; the HTML is what those templates give."""

from django import forms
from django.utils.html import format_html, format_html_join


def _attribute(name: str, value) -> str:
    return format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)


def _attributes(attrs: dict) -> str:
    """As django/forms/widgets/attrs.html: in order, False left out, True as a bare name."""
    pairs = ((_attribute(name, value),) for name, value in attrs.items() if value is not False)
    return format_html_join("", "{}", pairs)


class QuickTextInput(forms.TextInput):
    def render(self, name, value, attrs=None, renderer=None):
        value = self.format_value(value)
        shown = format_html(' value="{}"', value) if value is not None else ""
        attrs = _attributes(self.build_attrs(self.attrs, attrs))
        return format_html('<input type="{}" name="{}"{}{}>', self.input_type, name, shown, attrs)


class QuickSelect(forms.Select):
    """A single choice from flat choices (no groups)."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = self.format_value(value)
        options = format_html_join(
            "\n",
            '<option value="{}"{}>{}</option>',
            ((v, " selected" if str(v) in chosen else "", label) for v, label in self.choices),
        )
        attrs = _attributes(self.build_attrs(self.attrs, attrs))
        return format_html('<select name="{}"{}>\n{}\n</select>', name, attrs, options)
