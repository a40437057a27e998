from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from regulations.models import Regulation, Topic
from regulations.queries import clause_types_engaging, first_provisions, regulation_coverage

# The coverage table lists tracked platforms a page at a time, each with its first provisions
# that address the law: at 1,000 platforms one page of every row was ~10,000 provisions.
COVERAGE_ROWS_PER_PAGE = 50
PROVISIONS_PER_ROW = 5


@require_safe
def regulation_list(request):
    regulations = Regulation.objects.prefetch_related("topics")
    jurisdiction = request.GET.get("jurisdiction", "")
    topic = request.GET.get("topic", "")
    if jurisdiction:
        regulations = regulations.filter(jurisdiction=jurisdiction)
    if topic:
        regulations = regulations.filter(topics__slug=topic)
    jurisdictions = (
        Regulation.objects.order_by("jurisdiction")
        .values_list("jurisdiction", "jurisdiction_name")
        .distinct()
    )
    context = {
        "regulations": regulations,
        "total": Regulation.objects.count(),
        "jurisdictions": jurisdictions,
        "topics": Topic.objects.all(),
        "selected": {"jurisdiction": jurisdiction, "topic": topic},
    }
    return render(request, "regulations/regulation_list.html", context)


@require_safe
def regulation_detail(request, slug):
    regulation = get_object_or_404(Regulation.objects.prefetch_related("topics"), slug=slug)
    coverage = regulation_coverage(regulation)
    page = Paginator(coverage.rows, COVERAGE_ROWS_PER_PAGE).get_page(request.GET.get("page"))
    first_provisions(regulation, page.object_list, limit=PROVISIONS_PER_ROW)
    context = {
        "regulation": regulation,
        "links": clause_types_engaging(regulation),
        "coverage": coverage,
        "page": page,
        "shown": PROVISIONS_PER_ROW,
    }
    return render(request, "regulations/regulation_detail.html", context)
