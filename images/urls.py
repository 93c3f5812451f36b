"""Routes of the images app."""

from django.urls import path

from images import views

app_name = "images"

urlpatterns = [
    path("", views.image_list, name="list"),
    path("live/", views.image_list_live, name="list_live"),
    path("refresh/", views.refresh, name="refresh"),
    path("account/", views.switch_account, name="switch_account"),
    path("upload/", views.upload, name="upload"),
    path("upload/preflight/", views.upload_preflight, name="upload_preflight"),
    path(
        "upload/preflight/<slug:token>/",
        views.upload_preflight_result,
        name="upload_preflight_result",
    ),
    path("stats/", views.stats, name="stats"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("export.json", views.export_json, name="export_json"),
    path("notifications/", views.notification_settings, name="notifications"),
    path("<int:pk>/", views.image_detail, name="detail"),
    path("<int:pk>/live/", views.image_detail_live, name="detail_live"),
    path("<int:pk>/rename/", views.rename, name="rename"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/retry/", views.retry, name="retry"),
    path("<int:pk>/replace/", views.replace, name="replace"),
]
