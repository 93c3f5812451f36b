"""What the API answers (images, audit events, quota, accounts) and the request bodies, the
latter made from the pages' forms (images.api.formfields)."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from images.api.formfields import form_serializer
from images.api.problems import OWN
from images.forms import (
    ImageFilterForm,
    NotificationPreferenceForm,
    PreflightForm,
    RenameForm,
    ReplaceForm,
    RetryForm,
    UploadForm,
)
from images.models import AuditEvent, Image, QuotaSnapshot, Status
from images.redaction import without_credentials

# --- request bodies and query parameters, from the pages' forms ---------------------------------

ImageCreateSerializer = form_serializer(UploadForm, "ImageCreate", duplicate_guard=True)
ImageRenameSerializer = form_serializer(RenameForm, "ImageRename")
ImageRetrySerializer = form_serializer(RetryForm, "ImageRetry")
ImageReplaceSerializer = form_serializer(ReplaceForm, "ImageReplace", duplicate_guard=True)
PreflightRequestSerializer = form_serializer(PreflightForm, "PreflightRequest")
NotificationSettingsSerializer = form_serializer(NotificationPreferenceForm, "NotificationSettings")
ImageFilterSerializer = form_serializer(ImageFilterForm, "ImageFilter")


CONTABO_ERROR = OWN + "contabo-error"

# --- answers ------------------------------------------------------------------------------------


class ProgressSerializer(serializers.Serializer):
    percent = serializers.FloatField()
    done_mb = serializers.FloatField()
    total_mb = serializers.FloatField()
    rate_mb_s = serializers.FloatField(allow_null=True)
    eta_seconds = serializers.FloatField(allow_null=True)
    stalled = serializers.BooleanField()


class ContaboErrorSerializer(serializers.Serializer):
    """Why Contabo refused or failed the image's last step, with its x-request-id if known: a
    problem document (RFC 9457) of its own, inside the image."""

    type = serializers.CharField()
    title = serializers.CharField()
    detail = serializers.CharField()
    request_id = serializers.CharField(allow_null=True)


def contabo_error(image: Image, request_id: str | None = None) -> dict | None:
    if image.status == Status.FAILED and image.error_message:
        title, detail = "Contabo could not download the image", image.error_message
    elif image.action_error:
        title, detail = "The last rename or delete failed at Contabo", image.action_error
    else:
        return None
    return {"type": CONTABO_ERROR, "title": title, "detail": detail, "request_id": request_id}


class ImageSerializer(serializers.ModelSerializer):
    """One image as a list row: what the list page shows."""

    api_url = serializers.SerializerMethodField()
    html_url = serializers.SerializerMethodField()
    progress = ProgressSerializer(allow_null=True, read_only=True)
    error = serializers.SerializerMethodField()

    class Meta:
        model = Image
        fields = (
            "id",
            "api_url",
            "html_url",
            "name",
            "status",
            "standard",
            "os_type",
            "version",
            "format",
            "size_mb",
            "uploaded_size_mb",
            "progress",
            "pending_name",
            "remote_id",
            "remote_created_at",
            "created_at",
            "error",
        )
        read_only_fields = fields

    def get_api_url(self, image) -> str:
        return self._absolute(reverse("api:image", args=[image.pk]))

    def get_html_url(self, image) -> str:
        return self._absolute(reverse("images:detail", args=[image.pk]))

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field(ContaboErrorSerializer(allow_null=True))
    def get_error(self, image) -> dict | None:
        return contabo_error(image)


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = AuditEvent
        fields = ("at", "action", "outcome", "actor", "message", "request_id")
        read_only_fields = fields

    def to_representation(self, event):
        data = super().to_representation(event)
        data["message"] = without_credentials(data["message"])
        return data


class ImageDetailSerializer(ImageSerializer):
    """One image with every field, its versions and its audit trail (newest first)."""

    requested_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    events = serializers.SerializerMethodField()
    versions = serializers.SerializerMethodField()

    class Meta(ImageSerializer.Meta):
        fields = (
            *ImageSerializer.Meta.fields,
            "url",
            "description",
            "pending_description",
            "remote_status",
            "tags",
            "requested_by",
            "seen_at",
            "finished_at",
            "delete_requested_at",
            "replaces",
            "delete_replaced_when_done",
            "versions",
            "events",
        )
        read_only_fields = fields

    def to_representation(self, image):
        data = super().to_representation(image)
        data["url"] = without_credentials(data["url"])  # as the detail page shows it
        return data

    @extend_schema_field(AuditEventSerializer(many=True))
    def get_events(self, image) -> list:
        return AuditEventSerializer(image.api_events, many=True).data

    def get_versions(self, image) -> list[int]:
        return [version.pk for version in image.api_versions]

    @extend_schema_field(ContaboErrorSerializer(allow_null=True))
    def get_error(self, image) -> dict | None:
        failed = next((e for e in image.api_events if e.outcome == "failed"), None)
        return contabo_error(image, failed.request_id or None if failed else None)


class QuotaSnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = QuotaSnapshot
        fields = ("taken_at", "image_count", "total_mb", "used_mb", "free_mb", "request_id")
        read_only_fields = fields


class InFlightSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    remaining_mb = serializers.FloatField()


class QuotaSerializer(serializers.Serializer):
    current = QuotaSnapshotSerializer(allow_null=True)
    in_flight = InFlightSerializer()
    quota_left_mb = serializers.FloatField(
        allow_null=True, help_text="Free MB once the downloads in flight are done."
    )
    history = QuotaSnapshotSerializer(many=True, help_text="Oldest first.")


class AccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=["viewer", "manager"])


class PreflightSerializer(serializers.Serializer):
    """A URL check a worker runs (HEAD): pending until `state` is done."""

    token = serializers.CharField()
    api_url = serializers.CharField()
    state = serializers.ChoiceField(choices=["pending", "done"])
    url = serializers.CharField()
    name = serializers.CharField()
    extension = serializers.CharField()
    status = serializers.IntegerField(required=False, allow_null=True)
    final_url = serializers.CharField(required=False)
    redirects = serializers.IntegerField(required=False)
    size_bytes = serializers.IntegerField(required=False, allow_null=True)
    size_mb = serializers.FloatField(required=False, allow_null=True)
    problem = serializers.CharField(required=False, allow_blank=True)
    quota_left_mb = serializers.FloatField(required=False, allow_null=True)
    fits = serializers.BooleanField(required=False, allow_null=True)


class AcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ImagePageSerializer(serializers.Serializer):
    results = ImageSerializer(many=True)
    next = serializers.CharField(allow_null=True, help_text="The next page's URL, or null.")


class ProblemSerializer(serializers.Serializer):
    """An RFC 9457 problem document."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    code = serializers.CharField()
    detail = serializers.CharField(required=False)
    instance = serializers.CharField(required=False)
    errors = serializers.ListField(child=serializers.DictField(), required=False)
