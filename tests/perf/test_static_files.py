"""Production's static files: WhiteNoise's compressed manifest storage takes the site's
CSS, scripts and fonts (a file the CSS names but that is missing fails the deployment)."""

import json
import re
from pathlib import Path

from django.core.management import call_command
from django.templatetags.static import static

PRODUCTION_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}


def test_collectstatic_hashes_and_compresses_the_site_and_its_fonts(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = PRODUCTION_STORAGES
    # The project's own files only: Wagtail's are Wagtail's to test, and slow.
    settings.STATICFILES_FINDERS = [
        "django.contrib.staticfiles.finders.FileSystemFinder"
    ]
    call_command("collectstatic", "--noinput", verbosity=0)

    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    fonts = [name for name in manifest if name.startswith("fonts/atkinson")]
    assert len(fonts) == 3
    css = tmp_path / manifest["css/site.css"]
    referenced = set(re.findall(r'url\("?\.\./(fonts/[^")]+)"?\)', css.read_text()))
    assert referenced == {manifest[name] for name in fonts}
    for name in referenced:
        assert (tmp_path / name).is_file()
    # Text is compressed, fonts (already compressed) are not.
    assert Path(f"{css}.gz").is_file() and Path(f"{css}.br").is_file()
    assert not Path(f"{tmp_path / manifest[fonts[0]]}.gz").exists()
    # Templates link the hashed names.
    assert static("css/site.css") == "/static/" + manifest["css/site.css"]
