"""Forms: every check on user input happens here, before anything is stored or queued."""

import unicodedata
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import URLValidator

from images.models import NotificationPreference, OsType, Status
from images.selectors import DEFAULT_SORT, SORTS, duplicates_of

URL_MAX_LENGTH = 2048
NAME_MAX_LENGTH = 255
IMAGE_EXTENSIONS = (".iso", ".qcow2")
ALLOWED_SCHEMES = ("http", "https")


def _control_characters(value: str, allowed: str = "") -> list[str]:
    return [c for c in value if unicodedata.category(c) == "Cc" and c not in allowed]


def no_control_characters(value: str) -> None:
    if _control_characters(value):
        raise ValidationError(
            "Remove the control characters (tabs, line breaks or invisible codes).",
            code="control_characters",
        )


def no_control_characters_but_newlines(value: str) -> None:
    if _control_characters(value, allowed="\n\r\t"):
        raise ValidationError("Remove the invisible control characters.", code="control_characters")


def validate_image_url(value: str) -> None:
    """An http(s) URL whose path (not its query string) ends in .iso or .qcow2."""
    if _control_characters(value) or any(c.isspace() for c in value):
        raise ValidationError("A URL cannot contain spaces or control characters.", code="spaces")
    scheme = value.split(":", 1)[0].lower() if ":" in value else ""
    if scheme not in ALLOWED_SCHEMES:
        if scheme:
            message = (
                f"Only http:// and https:// links can be downloaded by Contabo; "
                f"“{scheme}:” links are refused."
            )
        else:
            message = "Enter a full link starting with http:// or https://."
        raise ValidationError(message, code="scheme")
    try:
        URLValidator(schemes=list(ALLOWED_SCHEMES))(value)
        parts = urlsplit(value)
    except (ValidationError, ValueError) as exc:
        raise ValidationError(
            "This is not a valid web address (check the host name).", code="invalid"
        ) from exc
    path = parts.path.lower()
    if not path.endswith(IMAGE_EXTENSIONS):
        if any(ext in (parts.query + parts.fragment).lower() for ext in IMAGE_EXTENSIONS):
            message = (
                "The file name in the URL path must end in .iso or .qcow2; an extension in the "
                "query string (after “?”) does not count."
            )
        else:
            message = "Contabo accepts only .iso and .qcow2 images: the URL path must end in one."
        raise ValidationError(message, code="extension")


class NameField(forms.CharField):
    """An image name: surrounding whitespace stripped, no control characters, ≤ 255 chars."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", NAME_MAX_LENGTH)
        kwargs.setdefault("strip", True)
        super().__init__(**kwargs)
        self.validators.append(no_control_characters)


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

    def __init__(self, *args, duplicate_guard: bool = False, account=None, **kwargs):
        """With `duplicate_guard`, an upload repeating an image of `account` by URL or name (see
        selectors.duplicates_of) is refused until "Upload anyway" is ticked."""
        super().__init__(*args, **kwargs)
        self.duplicate_guard = duplicate_guard
        self.account = account
        self.duplicates = []
        if not duplicate_guard:
            del self.fields["upload_anyway"]

    def clean_url(self):
        return self.cleaned_data["url"].strip()

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
    clean_url = UploadForm.clean_url


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

    q = forms.CharField(label="Search", required=False, max_length=100, strip=True)
    status = forms.ChoiceField(label="Status", choices=STATUS_FILTERS, required=False)
    os = forms.ChoiceField(label="OS type", choices=OS_FILTERS, required=False)
    kind = forms.ChoiceField(label="Kind", choices=KIND_FILTERS, required=False)
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, **kwargs):
        super().__init__(data or {}, **kwargs)
        self.fields["q"].widget.attrs.update(
            {"placeholder": "Name or OS", "type": "search", "autocomplete": "off"}
        )

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


class NotificationPreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["email_on_downloaded", "email_on_error", "email_on_stalled"]
