"""`{{ value|date_fr }}` and `{{ bytes|file_size }}`, built into every template
(TEMPLATES' `builtins`): see home/french.py."""

from django import template

from home import french

register = template.Library()


@register.filter(expects_localtime=True)
def date_fr(value, format_string="j F Y"):
    return french.french_date(value, format_string)


@register.filter
def file_size(value):
    return french.file_size(value)
