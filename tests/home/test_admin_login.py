"""The Wagtail admin's sign-in page is in French, labels included."""

import pytest


@pytest.mark.django_db
def test_admin_sign_in_labels_are_french(client):
    html = client.get("/admin/login/").content.decode()
    assert "Mot de passe" in html
    assert ">\n            Password<" not in html and "Password<span" not in html
