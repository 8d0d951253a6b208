"""`{{ form|portal_form }}`: render a library's form (allauth) with the portal's templates."""

from django import template

from home.forms import render_portal_form

register = template.Library()


@register.filter
def portal_form(form):
    return render_portal_form(form)
