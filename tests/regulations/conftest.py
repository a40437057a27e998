import pytest

from provisions.models import Provision
from regulations.models import Topic
from tests.factories import assign, import_platforms, link, make_clause_type, make_regulation

POLICIES = {
    "alpha": "# Rules\n\n- Do not generate child sexual abuse material.\n"
    "- Do not share intimate images of a real person without consent.\n",
    "beta": "# Policy\n\n- Never create sexual content involving minors.\n"
    "- The laws of California govern these terms.\n",
    "gamma": "# Terms\n\n- These terms are governed by the laws of Ireland.\n",
    "delta": "# Rules\n\n- Do not create realistic synthetic or manipulated audio, image or video "
    "depicting real people.\n",
}


@pytest.fixture
def world(tmp_path):
    """Three platforms with a few provisions, two clause types and three regulations."""
    import_platforms(tmp_path, POLICIES, document="Policy", source_url=False)
    provisions = {p.text: p for p in Provision.objects.all()}
    csam, ncii = make_clause_type("csam"), make_clause_type("ncii")
    topic = Topic.objects.get_or_create(slug="csam", defaults={"definition": "CSAM."})[0]
    regulations = {
        "us-csam": make_regulation(
            "us-csam", jurisdiction="US", jurisdiction_name="United States", short_name="B Act"
        ),
        "us-other": make_regulation(
            "us-other", jurisdiction="US", jurisdiction_name="United States", short_name="A Act"
        ),
        "eu-csam": make_regulation("eu-csam", short_name="Z Directive"),
        "us-bill": make_regulation(
            "us-bill",
            jurisdiction="US",
            jurisdiction_name="United States",
            short_name="Bill",
            status="pending",
        ),
    }
    for regulation in regulations.values():
        regulation.topics.add(topic)
    link(csam, regulations["us-csam"], article="§ 1", rationale="Reports CSAM.")
    link(csam, regulations["eu-csam"], rationale="Criminalises CSAM.")
    link(ncii, regulations["us-bill"], rationale="Would give victims a claim.")
    assign(provisions["Do not generate child sexual abuse material."], csam)
    assign(provisions["Never create sexual content involving minors."], csam)
    assign(provisions["Do not share intimate images of a real person without consent."], ncii)
    return {
        "provisions": provisions,
        "regulations": regulations,
        "types": {"csam": csam, "ncii": ncii},
        "topic": topic,
    }


@pytest.fixture
def catalog():
    """The shipped catalog, topics and curated clause-type links, loaded."""
    from regulations.catalog import load_catalog

    return load_catalog()
