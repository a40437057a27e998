import pytest

from regulations.models import ProvisionLinkOverride, Regulation, SuggestedLink

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "model", ["topic", "regulation", "clausetypelink", "provisionlinkoverride", "suggestedlink"]
)
def test_admin_lists_every_regulation_model(admin_client, catalog, model):
    assert admin_client.get(f"/admin/regulations/{model}/").status_code == 200


def test_a_curator_adds_a_link_for_one_provision_in_the_admin(admin_client, catalog, world):
    provision = world["provisions"]["These terms are governed by the laws of Ireland."]
    gdpr = Regulation.objects.get(slug="eu-gdpr")
    response = admin_client.post(
        "/admin/regulations/provisionlinkoverride/add/",
        {
            "provision": provision.pk,
            "regulation": gdpr.pk,
            "action": "add",
            "article": "Art. 44",
            "rationale": "Transfers of personal data out of the EU.",
        },
    )
    assert response.status_code == 302
    assert ProvisionLinkOverride.objects.get(provision=provision).regulation == gdpr


def test_suggested_links_are_read_only_in_the_admin(admin_client, catalog, world):
    suggestion = SuggestedLink.objects.create(
        provision=world["provisions"]["Do not generate child sexual abuse material."],
        regulation=Regulation.objects.get(slug="eu-gdpr"),
        topic=world["topic"],
        score=0.6,
        model_name="fake",
    )
    assert admin_client.get("/admin/regulations/suggestedlink/add/").status_code == 403
    url = f"/admin/regulations/suggestedlink/{suggestion.pk}/change/"
    assert admin_client.post(url, {"score": 1}).status_code == 403
    suggestion.refresh_from_db()
    assert suggestion.score == 0.6
