"""Accounts in admin: secrets typed into password inputs that never show the stored value.

A blank secret keeps the stored one. The settings account's endpoints and credentials come from
the CONTABO_* settings, so admin shows them read-only there.
"""

from django import forms
from django.contrib import admin
from django.db import models

from images.models import Account, AccountMembership
from images.services.intents import request_refresh

CREDENTIALS = ("api_url", "auth_url", "client_id", "api_user", "client_secret", "api_password")
SECRETS = {"client_secret": "set_client_secret", "api_password": "set_api_password"}


def _https_by_default(field, **kwargs):
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


def _secret_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted. Leave blank to keep the current one.",
    )


class AccountForm(forms.ModelForm):
    api_url = forms.URLField(label="API URL", required=False, assume_scheme="https")
    auth_url = forms.URLField(
        label="Token URL", required=False, max_length=500, assume_scheme="https"
    )
    client_secret = _secret_field("Client secret")
    api_password = _secret_field("API password")

    class Meta:
        model = Account
        fields = ("name", "open_to_all", "api_url", "auth_url", "client_id", "api_user")
        formfield_callback = _https_by_default

    def clean(self):
        data = super().clean()
        if not self.instance.from_settings:
            for name in SECRETS:
                stored = getattr(self.instance, f"{name}_encrypted")
                if not data.get(name) and not stored:
                    self.add_error(name, "Required for a new account.")
            for name in ("api_url", "auth_url", "client_id", "api_user"):
                if not data.get(name):
                    self.add_error(name, "Required.")
        return data

    def save(self, commit=True):
        account = super().save(commit=False)
        for name, setter in SECRETS.items():
            if self.cleaned_data.get(name):
                getattr(account, setter)(self.cleaned_data[name])
        if commit:
            account.save()
        return account


class MembershipInline(admin.TabularInline):
    model = AccountMembership
    extra = 1
    autocomplete_fields = ("user",)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    form = AccountForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("name", "from_settings", "open_to_all", "api_url", "client_id", "created_at")
    search_fields = ("name", "client_id", "api_user")
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:  # a new account: its images and quota now, not at the next beat
            request_refresh(user=request.user, account=obj)

    def get_fields(self, request, obj=None):
        if obj is not None and obj.from_settings:
            return ("name", "open_to_all", "configured_by")
        return ("name", "open_to_all", *CREDENTIALS)

    def get_readonly_fields(self, request, obj=None):
        return ("configured_by",) if obj is not None and obj.from_settings else ()

    @admin.display(description="Endpoints and credentials")
    def configured_by(self, obj) -> str:
        return "From the CONTABO_* settings of the environment (see .env.example)."


@admin.register(AccountMembership)
class AccountMembershipAdmin(admin.ModelAdmin):
    list_display = ("account", "user", "role")
    list_filter = ("account", "role")
    autocomplete_fields = ("user",)
