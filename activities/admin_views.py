"""Admin views for barème documents: import a JSON file, export a version as JSON."""

from django import forms
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from home.ids import id_or_404

from .models import Bareme, BaremeVersion
from .pricing import InvalidBareme
from .pricing.reader import UnreadableDocument, load_json
from .services import import_document

MAX_DOCUMENT_SIZE = 1024 * 1024


class ImportForm(forms.Form):
    document = forms.FileField(
        label=gettext_lazy("Document bareme/1 (JSON)"),
        help_text=gettext_lazy(
            "Un barème déjà présent (même identifiant) reçoit une nouvelle version."
        ),
    )

    def clean_document(self):
        upload = self.cleaned_data["document"]
        if upload.size > MAX_DOCUMENT_SIZE:
            raise forms.ValidationError(_("Ce fichier dépasse 1 Mo."))
        try:
            return load_json(upload.read())
        except UnreadableDocument as error:
            raise forms.ValidationError(
                _("Ce fichier ne peut pas être importé : %(error)s")
                % {"error": error.french}
            ) from None


def import_view(request, viewset):
    if not viewset.permission_policy.user_has_permission(request.user, "add"):
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        try:
            version, created = import_document(form.cleaned_data["document"])
        except InvalidBareme as error:
            problems = error.problems
        else:
            message = (
                _("Barème « %(slug)s » importé.")
                if created
                else _("Barème « %(slug)s » : version %(number)s importée.")
            )
            messages.success(
                request,
                message % {"slug": version.bareme.slug, "number": version.number},
            )
            return redirect(viewset.get_url_name("edit"), version.bareme.pk)
    return TemplateResponse(
        request,
        "activities/admin/import.html",
        {
            "form": form,
            "problems": problems,
            "page_title": _("Importer un barème"),
            "header_icon": "download",
            "index_url": viewset.get_url_name("list"),
        },
    )


def export_view(request, viewset, pk):
    if not viewset.permission_policy.user_has_any_permission(
        request.user, ["view", "change"]
    ):
        raise Http404
    bareme = get_object_or_404(Bareme, pk=pk)
    versions = BaremeVersion.objects.filter(bareme=bareme).order_by("-number")
    number = request.GET.get("version")
    version = (
        versions.filter(number=id_or_404(number)).first()
        if number
        else versions.first()
    )
    if version is None:
        raise Http404
    response = JsonResponse(
        version.document, json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{bareme.slug}-v{version.number}.json"'
    )
    return response
