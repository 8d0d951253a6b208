"""Public form rendering: visible labels, required marks, errors tied to their field
(aria-describedby) and an error summary at the top, in French."""

from django import forms
from django.forms.renderers import TemplatesSetting
from wagtail.admin.forms.auth import LoginForm as WagtailLoginForm


class PortalFormRenderer(TemplatesSetting):
    # TemplatesSetting reads the project's TEMPLATES, so templates/forms/ is found.
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


PORTAL_RENDERER = PortalFormRenderer()


def describe_errors(form):
    """Point each invalid widget at its error message (and help text) for screen readers."""
    for name in form.errors:
        if name not in form.fields:
            continue
        field = form.fields[name]
        auto_id = form[name].auto_id
        described_by = [f"{auto_id}_error"]
        if field.help_text:
            described_by.append(f"{auto_id}_helptext")
        field.widget.attrs["aria-describedby"] = " ".join(described_by)


def render_portal_form(form):
    """Render any form (ours or a library's) with the portal's templates."""
    form.renderer = PORTAL_RENDERER
    # Bound fields made earlier (allauth's clean() makes them on a failed sign-in) keep the
    # renderer they were born with, which cannot see templates/forms/: give them ours.
    for bound_field in form._bound_fields_cache.values():
        bound_field.renderer = PORTAL_RENDERER
    if form.is_bound:
        describe_errors(form)
    return form.render()


class PortalFormMixin:
    default_renderer = PORTAL_RENDERER

    def full_clean(self):
        super().full_clean()
        describe_errors(self)


class PortalForm(PortalFormMixin, forms.Form):
    pass


class PortalModelForm(PortalFormMixin, forms.ModelForm):
    pass


class AdminLoginForm(WagtailLoginForm):
    """Wagtail's admin sign-in form, whose password field has no label of its own: the
    label would otherwise be the untranslated field name, "Password"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].label = "Mot de passe"
