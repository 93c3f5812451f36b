"""The models in Django admin, read-mostly: the sync engine owns their content. A row's account
is read-only: moving an image between accounts would mix them. The audit trail, heartbeats, sync
runs and quota snapshots are records: nobody adds, changes or deletes them here, superusers
included."""

from django.contrib import admin

from images import admin_accounts  # noqa: F401 - registers Account and AccountMembership
from images.models import AuditEvent, Heartbeat, Image, QuotaSnapshot, SyncRun

admin.site.site_header = "Contabo images dashboard: administration"
admin.site.site_title = "Contabo images dashboard"
admin.site.index_title = "Users, roles, accounts and records"
admin.site.site_url = "/images/"


class RecordAdmin(admin.ModelAdmin):
    """Viewable, never added, changed or deleted."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


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
class AuditEventAdmin(RecordAdmin):
    list_display = ("at", "account", "action", "outcome", "image_name", "actor", "request_id")
    list_filter = ("account", "action", "outcome")
    search_fields = ("image_name", "request_id", "message")


@admin.register(QuotaSnapshot)
class QuotaSnapshotAdmin(RecordAdmin):
    list_display = ("taken_at", "account", "image_count", "used_mb", "free_mb", "total_mb")
    list_filter = ("account",)


@admin.register(SyncRun)
class SyncRunAdmin(RecordAdmin):
    list_display = ("started_at", "account", "finished_at", "added", "updated", "gone", "error")
    list_filter = ("account",)


@admin.register(Heartbeat)
class HeartbeatAdmin(RecordAdmin):
    list_display = ("name", "ok_at", "error_at", "error")
