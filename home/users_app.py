"""Wagtail's users app, whose forms check staff names (home/staff_accounts.py). Its own
module: in home/apps.py a second AppConfig would hide HomeConfig from Django."""

from wagtail.users.apps import WagtailUsersAppConfig


class WagtailUsersConfig(WagtailUsersAppConfig):
    user_viewset = "home.staff_accounts.UserViewSet"
