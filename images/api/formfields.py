"""Request bodies validated by the pages' own forms, so no rule is written twice.

`form_serializer(Form)` makes a DRF serializer whose fields mirror the form's (types, lengths,
choices: what the OpenAPI schema shows). Validation runs both: DRF's strict JSON types first
(a number is not a name), then the form with every rule the pages apply; a field the form
refuses shows the form's message. `serializer.form` is the bound form afterwards.
"""

from collections.abc import Mapping

from django import forms
from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A JSON string, not a number turned into one."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A JSON true or false, not 1 or "yes"."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


def _field(field: forms.Field) -> serializers.Field:
    common = {"required": field.required, "help_text": str(field.help_text) or None}
    if isinstance(field, forms.BooleanField):
        return StrictBooleanField(required=False, default=False, help_text=common["help_text"])
    if isinstance(field, forms.ChoiceField):
        choices = [value for value, _label in field.choices]
        blank = "" in choices or not field.required  # an optional choice left empty: its default
        return StrictChoiceField(choices=choices, allow_blank=blank, **common)
    if isinstance(field, forms.EmailField):
        return StrictEmailField(
            max_length=field.max_length, allow_blank=not field.required, **common
        )
    if isinstance(field, forms.CharField):
        return StrictCharField(
            max_length=field.max_length,
            allow_blank=not field.required,
            trim_whitespace=False,
            **common,
        )
    raise TypeError(f"no API field for {type(field).__name__}")


class FormSerializer(serializers.Serializer):
    form_class: type[forms.BaseForm]

    def __init__(self, *args, form_kwargs: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.form_kwargs = form_kwargs or {}
        self.form = None

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            return super().to_internal_value(data)  # DRF's "expected a dictionary"
        try:
            super().to_internal_value(data)
            errors = {}
        except serializers.ValidationError as exc:
            errors = dict(exc.detail)
        # Values of a JSON type a form reads (the wrong type of these is DRF's error to tell).
        bound = {n: data[n] for n in self.fields if isinstance(data.get(n), str | bool)}
        self.form = self.form_class(data=bound, **self.form_kwargs)
        for name, messages in self.form.errors.as_data().items():
            key = "non_field_errors" if name == forms.forms.NON_FIELD_ERRORS else name
            if key in errors and name not in bound:
                continue  # a missing or mistyped value: DRF's message says so already
            errors[key] = [
                serializers.ErrorDetail(message, code=error.code or "invalid")
                for error in messages
                for message in error.messages
            ]
        if errors:
            raise serializers.ValidationError(errors)
        return self.form.cleaned_data


def form_serializer(form_class, name: str, exclude=(), **form_kwargs) -> type[FormSerializer]:
    """A FormSerializer class named `name` for `form_class`, its fields from the form's."""
    form = form_class(**form_kwargs)
    fields = {n: _field(f) for n, f in form.fields.items() if n not in exclude}
    return type(name, (FormSerializer,), {"form_class": form_class, **fields})
