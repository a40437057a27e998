"""``POST /api/v1/check/``: a draft policy checked against the field (``drafts.checking``),
from JSON ``{"text": …}`` or a multipart upload (``file``). Nothing is stored or logged.
Serializers are in ``drafts.serializers``, schema examples in ``data/api_examples/``."""

from __future__ import annotations

from pathlib import Path

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, parsers, permissions, viewsets
from rest_framework.response import Response

from atlas import schema as docs
from atlas.api import (
    AnonThrottle,
    JSONParser,
    ModelUnavailableError,
    PayloadTooLarge,
    UserThrottle,
    WarmingUpError,
)
from comparisons.classify import WarmingUp
from drafts import reading
from drafts.checking import check_draft
from drafts.reading import DraftError
from drafts.serializers import DraftCheckRequestSerializer, DraftReportSerializer
from drafts.throttles import CheckThrottle
from provisions.embeddings import ModelUnavailable

EXAMPLES = Path(__file__).resolve().parent / "data" / "api_examples"


@extend_schema_view(
    create=extend_schema(
        summary="Check a draft policy: each clause's type and other platforms' wordings, the "
        "common clause types it lacks, and the regulations engaged",
        request={
            "application/json": DraftCheckRequestSerializer,
            "multipart/form-data": DraftCheckRequestSerializer,
        },
        responses={200: DraftReportSerializer, 413: OpenApiTypes.OBJECT},
        examples=[
            docs.request_example("A short draft", EXAMPLES / "check-request.json"),
            docs.example("Its report", EXAMPLES / "check.json"),
        ],
    )
)
class CheckViewSet(viewsets.ViewSet):
    """Anyone may check a draft; it is read, checked and answered in this request, never
    stored or logged. A file (multipart) of up to ATLAS_MAX_DOCUMENT_BYTES (5 MB by default),
    JSON bodies up to DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB); at most 600 clauses."""

    permission_classes = [permissions.AllowAny]
    parser_classes = [JSONParser, parsers.MultiPartParser]
    throttle_classes = [AnonThrottle, UserThrottle, CheckThrottle]
    needs_model = True  # documents the 503 of ``ModelUnavailableError``

    def create(self, request, format=None):
        try:
            reading.check_content_length(request.META.get("CONTENT_LENGTH"))
            text = self._text(request)
            report = check_draft(reading.split_draft(text))
        except DraftError as error:
            if error.too_large:
                raise PayloadTooLarge(str(error)) from None
            raise exceptions.ValidationError({"draft": [str(error)]}) from None
        except WarmingUp as warming:
            raise WarmingUpError(
                f"Checking is warming up: {warming}. Try again shortly.",
                embedded=warming.embedded,
                total=warming.total,
            ) from warming
        except ModelUnavailable as error:
            raise ModelUnavailableError(f"Checking is unavailable: {error}.") from error
        response = Response(DraftReportSerializer(report, context={"request": request}).data)
        response["Cache-Control"] = "no-store"  # it quotes the draft
        return response

    def _text(self, request) -> str:
        try:
            body = request.data
        except exceptions.UnsupportedMediaType:
            raise exceptions.ValidationError(
                {"body": ["Send JSON (Content-Type: application/json) or multipart form data."]}
            ) from None
        if not hasattr(body, "get"):
            raise exceptions.ValidationError({"body": ['A JSON object: {"text": "..."}.']})
        parameters = DraftCheckRequestSerializer(data=body)
        parameters.is_valid(raise_exception=True)
        upload = parameters.validated_data.get("file")
        if upload is not None:
            return reading.read_upload(upload.name, upload.read(reading.max_bytes() + 1))
        return reading.read_pasted(parameters.validated_data["text"])
