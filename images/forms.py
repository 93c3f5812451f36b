"""Forms: every check on user input happens here (the rules live in images/validators.py),
before anything is stored or queued."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from images.lru import LRU
from images.models import NotificationPreference, OsType, Status
from images.selectors import DEFAULT_SORT, SORTS, duplicates_of
from images.services.notifications import set_email
from images.validators import (
    no_control_characters_but_newlines,
    validate_image_url,
    validate_name,
)
from images.widgets import QuickSelect, QuickTextInput

URL_MAX_LENGTH = 2048
NAME_MAX_LENGTH = 255


class NameField(forms.CharField):
    """An image name: surrounding whitespace stripped, ≤ 255 chars, the rules of
    validators.validate_name (nothing invisible, no direction overrides)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", NAME_MAX_LENGTH)
        kwargs.setdefault("strip", True)
        super().__init__(**kwargs)
        self.validators.append(validate_name)


class DescriptionField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 4000)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        super().__init__(**kwargs)
        self.validators.append(no_control_characters_but_newlines)


class UploadForm(forms.Form):
    name = NameField(
        help_text="How the image is listed at Contabo.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    description = DescriptionField()
    url = forms.CharField(
        label="Image URL",
        max_length=URL_MAX_LENGTH,
        help_text="A direct http(s) link to an .iso or .qcow2 file, up to 2048 characters.",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/ubuntu-24.04.qcow2"}),
        validators=[validate_image_url],
        error_messages={
            "max_length": "The URL is too long: at most %(limit_value)d characters "
            "(it has %(show_value)d)."
        },
    )
    os_type = forms.ChoiceField(label="OS type", choices=OsType.choices)
    version = NameField(help_text="For example 24.04 or 2022.")
    upload_anyway = forms.BooleanField(label="Upload anyway", required=False)

    def __init__(self, *args, duplicate_guard: bool = False, account=None, checked=None, **kwargs):
        """With `duplicate_guard`, an upload repeating an image of `account` by URL or name (see
        selectors.duplicates_of) is refused until "Upload anyway" is ticked. `checked` is the
        URL's preflight entry, if any: a file its content check blocked is refused."""
        super().__init__(*args, **kwargs)
        self.duplicate_guard = duplicate_guard
        self.account = account
        self.checked = checked or {}
        self.duplicates = []
        if not duplicate_guard:
            del self.fields["upload_anyway"]

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        if self.checked.get("url") == url:
            blocking = (self.checked.get("content") or {}).get("blocking") or []
            if blocking:
                raise ValidationError(
                    f"Contabo cannot use this file: {' '.join(blocking)}", code="content"
                )
        return url

    def clean(self):
        data = super().clean()
        confirmed = data.pop("upload_anyway", False)  # not an upload field: callers never see it
        if self.duplicate_guard and not self.errors:
            self.duplicates = duplicates_of(self.account, data["url"], data["name"])
            if self.duplicates and not confirmed:
                raise ValidationError(
                    "This upload repeats an image listed below. Tick “Upload anyway” to start "
                    "it all the same.",
                    code="duplicate",
                )
        return data

    @property
    def needs_confirmation(self) -> bool:
        return self.is_bound and self.has_error(NON_FIELD_ERRORS, "duplicate")


class PreflightForm(forms.Form):
    """The upload form's URL alone, validated the same way, for the preflight check."""

    url = UploadForm.base_fields["url"]

    def clean_url(self):
        return self.cleaned_data["url"].strip()


class RenameForm(forms.Form):
    name = NameField(help_text="The new name, as Contabo will list it.")
    description = DescriptionField()


STATUS_FILTERS = [
    ("", "Active"),
    ("all", "All, incl. deleted"),
    *Status.choices,
]
KIND_FILTERS = [("", "Any kind"), ("custom", "Custom"), ("standard", "Standard")]
OS_FILTERS = [("", "Any OS"), *OsType.choices]
SORT_CHOICES = [(key, key) for name in SORTS for key in (name, f"-{name}")]


class ImageFilterForm(forms.Form):
    """The list's search, filters and sort, read from the query string."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        strip=True,
        widget=QuickTextInput(attrs={"placeholder": "Name or OS", "autocomplete": "off"}),
    )
    status = forms.ChoiceField(
        label="Status", choices=STATUS_FILTERS, required=False, widget=QuickSelect
    )
    os = forms.ChoiceField(label="OS type", choices=OS_FILTERS, required=False, widget=QuickSelect)
    kind = forms.ChoiceField(label="Kind", choices=KIND_FILTERS, required=False, widget=QuickSelect)
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, **kwargs):
        super().__init__(data or {}, **kwargs)

    def criteria(self) -> dict:
        """Valid values only: an invalid filter falls back to its default rather than a 400."""
        self.is_valid()
        data = {}
        for name in ("q", "status", "os", "kind", "sort"):
            if name not in self.errors:
                data[name] = self.cleaned_data.get(name) or ""
            else:
                data[name] = ""
        data["sort"] = data["sort"] or DEFAULT_SORT
        return data


CRITERIA = LRU(1000)  # list_criteria's answers in this process, by the values they depend on


def list_criteria(query) -> dict:
    """`ImageFilterForm(query).criteria()`, kept per process: they depend only on the raw
    values of the form's fields (the list asks on every request; validating costs 0.15 ms)."""
    key = tuple(query.get(name) for name in ImageFilterForm.base_fields)
    criteria = CRITERIA.get(key)
    if criteria is None:
        criteria = ImageFilterForm(query).criteria()
        CRITERIA.set(key, criteria)
    return dict(criteria)


# --- versions and notifications -----------------------------------------------------------------


class RetryForm(forms.Form):
    remove_failed = forms.BooleanField(
        label="Also delete the failed image at Contabo",
        required=False,
        help_text="Unticked, the failed image stays listed beside the new attempt.",
    )


class ReplaceForm(UploadForm):
    """An upload that becomes the next version of a downloaded image."""

    delete_old = forms.BooleanField(
        label="Delete the current version once the new one is downloaded",
        required=False,
        help_text="If the new download fails, the current version is kept.",
    )

    def __init__(self, *args, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.current = current
        if current is not None:
            self.fields["url"].widget.attrs["placeholder"] = current.url
            self.fields["version"].widget.attrs["placeholder"] = f"now {current.version}"

    def clean(self):
        data = super().clean()
        current = self.current
        if (
            current is not None
            and data.get("url") == current.url
            and data.get("version") == current.version
        ):
            raise ValidationError(
                "This is the current version's URL and version: change at least one of them.",
                code="unchanged",
            )
        return data


class BulkForm(forms.Form):
    """A bulk action from the list: the ticked `ids`, or (scope "filter") every image the list's
    filters select, which come along as ImageFilterForm fields."""

    action = forms.ChoiceField(choices=[("delete", "Delete"), ("retry", "Retry")])
    scope = forms.ChoiceField(choices=[("", "Ticked"), ("filter", "Filter")], required=False)
    confirm = forms.BooleanField(required=False)
    remove_failed = forms.BooleanField(required=False)
    back = forms.CharField(required=False, max_length=2000)

    def clean(self):
        data = super().clean()
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        # Any id is read; the selection keeps only the page's account's images.
        data["ids"] = list(dict.fromkeys(int(v) for v in raw if v.isdigit() and len(v) < 19))
        return data


class ProtectForm(forms.Form):
    protected = forms.BooleanField(required=False)


class NotificationPreferenceForm(forms.ModelForm):
    """A user's opt-ins and the address they go to, which the user sets here."""

    email = forms.EmailField(
        label="Your e-mail address",
        required=False,
        max_length=254,
        help_text="Where these e-mails go. Empty: none can reach you.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"invalid": "This is not an e-mail address, e.g. name@example.com."},
    )

    class Meta:
        model = NotificationPreference
        fields = ["email", "email_on_downloaded", "email_on_error", "email_on_stalled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.user_id:
            self.fields["email"].initial = self.instance.user.email

    def save(self, commit=True):
        preference = super().save(commit)
        set_email(preference.user, self.cleaned_data["email"])
        return preference
