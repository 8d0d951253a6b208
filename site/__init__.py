"""The Django project of Portail Famille, installed as the package `portail_site`."""
