"""The family space: a parent's own family, guardians and children. Never cached."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from home.accounts import is_staff_account
from home.ids import parse_uuid

from . import child_photos
from .forms import ChildForm, ChildPhotoForm, FamilyForm, GuardianForm
from .franceconnect import services as franceconnect
from .models import Family


def staff_refused(request):
    return render(request, "family_portal/staff_refused.html", status=403)


def family_required(view):
    """Log in first; then a parent without a family is sent to create it."""

    @login_required
    @never_cache
    def wrapper(request, *args, **kwargs):
        family = Family.for_user(request.user)
        if family is None:
            if is_staff_account(request.user):
                return staff_refused(request)
            return redirect("family_portal:family_create")
        request.family = family
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@method_decorator(family_required, name="dispatch")
class DashboardView(TemplateView):
    template_name = "family_portal/dashboard.html"

    def get_context_data(self, **kwargs):
        family = self.request.family
        return {
            **super().get_context_data(**kwargs),
            "family": family,
            "guardians": list(family.guardians.all()),
            "children": list(family.children.all()),
            "quotient": family.current_quotient(),
            "documents": list(family.documents.all()[:10]),
            "enrolments": list(
                family.enrolments.active()
                .select_related(
                    "child", "period", "period__activity", "period__schedule"
                )
                .order_by("period__start", "child__birth_date")
            ),
        }


@login_required
@never_cache
def family_create(request):
    """First visit: the family's address and the first guardian, on one page."""
    if Family.for_user(request.user) is not None:
        return redirect("family_portal:dashboard")
    if is_staff_account(request.user):
        return staff_refused(request)
    # Signed in with FranceConnect: the first guardian is the person FranceConnect
    # certified, their civil status filled in and read-only.
    identity = franceconnect.pending_identity(request)
    family_form = FamilyForm(
        request.POST or None,
        prefix="famille",
        initial={"name": f"Famille {identity.birth_name.title()}"}
        if identity
        else None,
    )
    guardian_form = GuardianForm(
        request.POST or None,
        prefix="responsable",
        initial={"email": request.user.email},
        certified=identity.civil_status() if identity else None,
    )
    if request.method == "POST" and family_form.is_valid() and guardian_form.is_valid():
        try:
            with transaction.atomic():
                family = family_form.save()
                family.users.add(request.user)
                guardian = guardian_form.save(commit=False)
                guardian.family = family
                guardian.save()
                if identity is not None:
                    franceconnect.certify(guardian, identity)
        except IntegrityError:
            # One account, one family (FamilyAccount's unique constraint): the same page
            # sent twice, or from two tabs, created it a moment ago.
            if Family.for_user(request.user) is None:
                raise
            messages.info(
                request,
                "Votre famille était déjà enregistrée (le formulaire a été envoyé "
                "plusieurs fois) : la voici.",
            )
            return redirect("family_portal:dashboard")
        if identity is not None:
            franceconnect.forget_identity(request)
        messages.success(request, "Votre famille est enregistrée. Ajoutez vos enfants.")
        return redirect("family_portal:child_add")
    return render(
        request,
        "family_portal/family_create.html",
        {"family_form": family_form, "guardian_form": guardian_form},
    )


@family_required
def family_edit(request):
    form = FamilyForm(request.POST or None, instance=request.family)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "L'adresse de la famille est enregistrée.")
        return redirect("family_portal:dashboard")
    return render(
        request,
        "family_portal/form_page.html",
        {"form": form, "title": "Adresse de la famille", "submit": "Enregistrer"},
    )


def _edit_member(
    request,
    form_class,
    queryset,
    pk,
    titles,
    success,
    template="family_portal/form_page.html",
    context=None,
):
    instance = get_object_or_404(queryset, pk=pk) if pk else None
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        member = form.save(commit=False)
        member.family = request.family
        member.save()
        messages.success(request, success)
        return redirect("family_portal:dashboard")
    return render(
        request,
        template,
        {
            "form": form,
            "title": titles[1] if instance else titles[0],
            "submit": "Enregistrer",
            "instance": instance,
            **(context or {}),
        },
    )


MAX_GUARDIANS = 2


@family_required
def guardian_edit(request, pk=None):
    if pk is None and request.family.guardians.count() >= MAX_GUARDIANS:
        messages.error(request, "Une famille compte au plus deux responsables légaux.")
        return redirect("family_portal:dashboard")
    return _edit_member(
        request,
        GuardianForm,
        request.family.guardians.all(),
        pk,
        ("Ajouter un responsable légal", "Modifier un responsable légal"),
        "Le responsable légal est enregistré.",
    )


CHILD_TITLES = ("Ajouter un enfant", "Modifier un enfant")


@family_required
def child_edit(request, pk=None):
    """The child's page: identity, school, diet and health notes; the photo has its own
    form below (a refused photo loses nothing typed, a refused field no photo)."""
    return _edit_member(
        request,
        ChildForm,
        request.family.children.all(),
        pk,
        CHILD_TITLES,
        "L'enfant est enregistré.",
        template="family_portal/child_page.html",
        context={"photo_form": ChildPhotoForm() if pk else None},
    )


@family_required
def child_photo_edit(request, pk):
    """Send a new photo of the child, or remove it (the form is on the child's page)."""
    child = get_object_or_404(request.family.children.all(), pk=pk)
    if request.method != "POST":
        return redirect("family_portal:child_edit", pk=child.pk)
    if request.POST.get("action") == "remove":
        child_photos.remove_photo(child)
        messages.success(request, f"La photo de {child.first_name} est retirée.")
        return redirect("family_portal:child_edit", pk=child.pk)
    photo_form = ChildPhotoForm(request.POST, request.FILES)
    if photo_form.is_valid():
        child_photos.set_photo(child, photo_form.cleaned_data["photo"])
        messages.success(request, f"La photo de {child.first_name} est enregistrée.")
        return redirect("family_portal:child_edit", pk=child.pk)
    return render(
        request,
        "family_portal/child_page.html",
        {
            "form": ChildForm(instance=child),
            "title": CHILD_TITLES[1],
            "submit": "Enregistrer",
            "instance": child,
            "photo_form": photo_form,
        },
        status=400,
    )


@family_required
def child_photo(request, pk):
    """The photo, for the child's own family only (another family's child is a 404)."""
    return child_photos.photo_response(
        get_object_or_404(request.family.children.all(), pk=pk)
    )


@family_required
def enrolment_result(request):
    """After the wizard: each child's status, waiting-list position and price."""
    references = [parse_uuid(value) for value in request.GET.getlist("i")]
    if None in references:
        raise Http404("Référence d'inscription invalide.")
    enrolments = (
        request.family.enrolments.filter(reference__in=references)
        .select_related("child", "period", "period__activity")
        .order_by("child_rank")
        if references
        else []
    )
    return render(
        request, "family_portal/enrolment_result.html", {"enrolments": enrolments}
    )


# -- transparency: the lookups made about the family, and its consent ------------------

PROVIDER_NAMES = {"CNAF": "CAF", "MSA": "MSA"}
# Who asked, as the family understands it (ApiCallLog.origin).
LOOKUP_ORIGINS = {
    "wizard": "Vous, pendant une inscription en ligne",
    "retry": "Nouvel essai automatique après une indisponibilité",
    "agent": "Le service famille",
    "campagne annuelle": "Mise à jour annuelle",
}


LOOKUP_OUTCOMES = {
    "": "Quotient familial obtenu",
    "not_identified": "Personne non reconnue par la CAF ou la MSA",
    "no_file": "Aucun dossier à la CAF ou à la MSA",
    "unavailable": "Pas de réponse : service indisponible",
    "rate_limited": "Pas de réponse : trop de demandes à ce moment",
    "configuration": "Pas de réponse : erreur technique de la commune",
    "invalid_input": "Demande refusée : état civil incomplet",
}


def lookup_rows(family):
    """The family's lookups from the call log, newest first: date, who asked, the
    administration and the outcome; nothing of the identity sent or the token."""
    from qf_connector.models import ApiCallLog

    rows = []
    for call in ApiCallLog.objects.filter(family_id=family.pk).order_by("-started_at"):
        outcome = LOOKUP_OUTCOMES.get(call.error_kind, LOOKUP_OUTCOMES["unavailable"])
        rows.append(
            {
                "at": call.started_at,
                "origin": LOOKUP_ORIGINS.get(call.origin, "Le service famille"),
                "provider": PROVIDER_NAMES.get(call.provider, "CAF ou MSA"),
                "outcome": outcome,
                "succeeded": call.succeeded,
            }
        )
    return rows


@family_required
def qf_lookups(request):
    """Each lookup made about the family, and its consent to lookups made without it."""
    family = request.family
    if request.method == "POST":
        given = request.POST.get("consent") == "give"
        family.set_qf_refresh_consent(given, user=request.user)
        messages.success(
            request,
            "Votre accord à la mise à jour annuelle est enregistré."
            if given
            else "Votre accord est retiré : la commune ne demandera plus votre "
            "quotient familial sans vous.",
        )
        return redirect("family_portal:qf_lookups")
    return render(
        request,
        "family_portal/qf_lookups.html",
        {"family": family, "lookups": lookup_rows(family)},
    )
