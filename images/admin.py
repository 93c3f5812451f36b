"""The models in Django admin, read-mostly: the sync engine owns their content. A row's account
is read-only: moving an image between accounts would mix them."""

from django.contrib import admin

from images import admin_accounts  # noqa: F401 - registers Account and AccountMembership
from images.models import AuditEvent, Heartbeat, Image, QuotaSnapshot, SyncRun


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "account",
        "status",
        "standard",
        "os_type",
        "size_mb",
        "remote_created_at",
    )
    list_filter = ("account", "status", "standard", "os_type")
    search_fields = ("name", "os_type", "remote_id", "url")
    readonly_fields = ("account", "remote_id", "requested_by", "created_at", "seen_at")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "account", "action", "outcome", "image_name", "actor", "request_id")
    list_filter = ("account", "action", "outcome")
    readonly_fields = ("account",)
    search_fields = ("image_name", "request_id", "message")


@admin.register(QuotaSnapshot)
class QuotaSnapshotAdmin(admin.ModelAdmin):
    list_display = ("taken_at", "account", "image_count", "used_mb", "free_mb", "total_mb")
    list_filter = ("account",)
    readonly_fields = ("account",)


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = ("started_at", "account", "finished_at", "added", "updated", "gone", "error")
    list_filter = ("account",)
    readonly_fields = ("account",)


admin.site.register(Heartbeat)
