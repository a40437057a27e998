import io
import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from atlas.api import WARMING_UP_RETRY_AFTER
from comparisons.classify import WarmingUp
from drafts import reading
from drafts.checking import WORDINGS_PER_CLAUSE, check_draft
from drafts.exports import write_csv
from drafts.reading import DraftError
from drafts.serializers import DraftReportSerializer
from drafts.throttles import CheckThrottle
from provisions.embeddings import ModelUnavailable

TEMPLATE = "drafts/check.html"
EXPORTS = {"csv", "json"}


@require_http_methods(["GET", "HEAD", "POST"])
def check(request):
    """The form (GET); the report on the posted draft (POST), or its CSV or JSON export. The
    draft is read, checked and answered in this request, never stored or logged."""
    context = {
        "max_mb": reading.max_bytes() / 1e6,
        "max_clauses": reading.MAX_CLAUSES,
        "accepted": reading.ACCEPTED,
        "wordings_per_clause": WORDINGS_PER_CLAUSE,
        "max_pdf_pages": settings.ATLAS_CHECK_PDF_MAX_PAGES,
        "check_rate": "{} drafts per {}".format(*settings.ATLAS_CHECK_RATE.split("/", 1)),
    }
    if request.method != "POST":
        return render(request, TEMPLATE, context)
    if refused := CheckThrottle().refused(request, "Too many drafts checked from here; try later."):
        return refused
    try:
        text, export = _read(request)
        context["text"] = text
        report = check_draft(reading.split_draft(text))
    except DraftError as error:
        return _page(request, context | {"error": str(error)}, 413 if error.too_large else 400)
    except WarmingUp as warming:
        context["warming_up"] = warming
        return _page(request, context, 503)
    except ModelUnavailable as error:
        return _page(request, context | {"error": f"Checking is unavailable: {error}."}, 503)
    if export == "json":
        data = DraftReportSerializer(report, context={"request": request}).data
        return _download(json.dumps(data, ensure_ascii=False, indent=1), "json")
    if export == "csv":
        stream = io.StringIO()
        write_csv(report, stream, absolute=request.build_absolute_uri)
        return _download(stream.getvalue(), "csv")
    return _page(request, context | {"report": report}, 200)


def _read(request) -> tuple[str, str]:
    """The posted draft's text (pasted, or read from the uploaded file) and the export asked."""
    reading.check_content_length(request.META.get("CONTENT_LENGTH"))
    try:
        form, files = request.POST, request.FILES
    except RequestDataTooBig:
        raise DraftError(
            f"The pasted text is too large to send in a form; upload it as a file "
            f"(at most {reading.max_bytes() / 1e6:.1f} MB).",
            too_large=True,
        ) from None
    export = form.get("export", "")
    if export and export not in EXPORTS:
        raise DraftError("Export as csv or json.")
    upload, pasted = files.get("file"), form.get("text", "")
    if upload and pasted.strip():
        raise DraftError("Paste the draft or upload a file, not both.")
    if upload:
        return reading.read_upload(upload.name, upload.read(reading.max_bytes() + 1)), export
    if not pasted.strip():
        raise DraftError("Paste a draft or choose a file to check.")
    return reading.read_pasted(pasted), export


def _page(request, context: dict, status: int) -> HttpResponse:
    if request.htmx:
        # htmx swaps only 2xx answers: the fragment carries the error or the report either way.
        response = render(request, f"{TEMPLATE}#results", context)
    else:
        response = render(request, TEMPLATE, context, status=status)
    response["Cache-Control"] = "no-store"  # it quotes the draft
    if "warming_up" in context:
        response["Retry-After"] = str(WARMING_UP_RETRY_AFTER)
    return response


def _download(body: str, extension: str) -> HttpResponse:
    media = "text/csv" if extension == "csv" else "application/json"
    response = HttpResponse(body, content_type=f"{media}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="atlas-draft-check.{extension}"'
    response["Cache-Control"] = "no-store"
    return response
