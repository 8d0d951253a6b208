"""Staff accounts in Wagtail's admin (agents, editors): their names follow the names'
rule (home/names.py), since the agents' audit trail and the certificates print them."""

from django.core.exceptions import ValidationError
from wagtail.users.forms import UserCreationForm, UserEditForm
from wagtail.users.views.users import UserViewSet as WagtailUserViewSet

from . import names


class _PersonNames:
    """The first and last names normalised, and refused with an invisible character."""

    def _person_name(self, field):
        value = names.normalise(self.cleaned_data.get(field) or "")
        message = names.problem(value)
        if message:
            raise ValidationError(message, code="invisible_character")
        return value

    def clean_first_name(self):
        return self._person_name("first_name")

    def clean_last_name(self):
        return self._person_name("last_name")


class StaffCreationForm(_PersonNames, UserCreationForm):
    pass


class StaffEditForm(_PersonNames, UserEditForm):
    pass


class UserViewSet(WagtailUserViewSet):
    def get_form_class(self, for_update=False):
        return StaffEditForm if for_update else StaffCreationForm
