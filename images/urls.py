"""Routes of the images app."""

from django.urls import path

from images.views import (
    accounts,
    bulk,
    changes,
    detail,
    exports,
    listing,
    notifications,
    preflight,
    quota,
)

app_name = "images"

urlpatterns = [
    path("", listing.image_list, name="list"),
    path("live/", listing.image_list_live, name="list_live"),
    path("refresh/", listing.refresh, name="refresh"),
    path("bulk/", bulk.bulk, name="bulk"),
    path("account/", accounts.switch_account, name="switch_account"),
    path("upload/", changes.upload, name="upload"),
    path("upload/preflight/", preflight.upload_preflight, name="upload_preflight"),
    path(
        "upload/preflight/<slug:token>/",
        preflight.upload_preflight_result,
        name="upload_preflight_result",
    ),
    path("stats/", quota.stats, name="stats"),
    path("export.csv", exports.export_csv, name="export_csv"),
    path("export.json", exports.export_json, name="export_json"),
    path("notifications/", notifications.notification_settings, name="notifications"),
    path("<int:pk>/", detail.image_detail, name="detail"),
    path("<int:pk>/live/", detail.image_detail_live, name="detail_live"),
    path("<int:pk>/rename/", changes.rename, name="rename"),
    path("<int:pk>/delete/", changes.delete, name="delete"),
    path("<int:pk>/protect/", changes.protect, name="protect"),
    path("<int:pk>/retry/", changes.retry, name="retry"),
    path("<int:pk>/replace/", changes.replace, name="replace"),
]
