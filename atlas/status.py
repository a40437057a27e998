"""``GET /api/v1/status/``: the pipeline's stages (embed, assign, link) with their counts and
times (``atlas.progress``), so that a client can tell "not assigned yet" from "never"."""

from __future__ import annotations

from pathlib import Path

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from atlas import progress
from atlas import schema as docs

# The example's shape is what ``progress.snapshot()`` returns mid-run.
EXAMPLE = docs.example(
    "Embedding under way",
    Path(__file__).resolve().parent / "data" / "api_examples" / "status.json",
)

STAGE_FIELDS = {
    "stage": serializers.CharField(),
    "state": serializers.ChoiceField(["idle", "running", "done", "failed"]),
    "done": serializers.IntegerField(),
    "total": serializers.IntegerField(),
    "unit": serializers.CharField(),
    "started": serializers.DateTimeField(allow_null=True),
    "finished": serializers.DateTimeField(allow_null=True),
    "error": serializers.CharField(allow_null=True),
}


@extend_schema(
    responses=inline_serializer(
        "PipelineStatus",
        {
            "working": serializers.BooleanField(),
            "summary": serializers.CharField(),
            "stages": inline_serializer("PipelineStage", STAGE_FIELDS, many=True),
        },
    ),
    summary="How far the pipeline has got (embedding, clause types, regulation links)",
    examples=[EXAMPLE],
)
@api_view(["GET"])
@permission_classes([AllowAny])
def status(request):
    return Response(progress.snapshot(), headers={"Cache-Control": "no-cache"})
