"""The Wagtail admin works under its own (relaxed) Content-Security-Policy: an editor signs
in, opens a page in the editor and its preview, with no script error or CSP violation."""

from home.models import ContentPage


def test_an_editor_edits_a_page_under_the_admin_policy(live_server, page, demo_commune):
    response = page.goto(live_server.url + "/admin/login/")
    assert "'unsafe-eval'" in response.headers["content-security-policy"]
    page.locator("#id_username").fill("editeur")
    page.locator("#id_password").fill("demo-editeur-2026")
    page.locator("#id_password").press("Enter")
    page.wait_for_url(live_server.url + "/admin/")
    content_page = ContentPage.objects.get(slug="vie-scolaire")
    page.goto(f"{live_server.url}/admin/pages/{content_page.pk}/edit/")
    page.get_by_role("button", name="Publier").or_(
        page.get_by_role("button", name="Enregistrer le brouillon")
    ).first.wait_for()
    # The rich text editor (Draftail) is a script-built widget: it must have started.
    page.locator(".Draftail-Editor").first.wait_for()
    page.wait_for_load_state("networkidle")
