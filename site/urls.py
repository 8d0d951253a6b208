"""Root URLs: the admin, documents, then Wagtail's page tree as the catch-all, last."""

from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from family_portal.franceconnect.views import LogoutView
from home.views_site_plan import site_plan

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    # allauth's logout, going on to FranceConnect's after a FranceConnect sign-in.
    path("compte/logout/", LogoutView.as_view(), name="account_logout"),
    path("compte/", include("allauth.urls")),
    path("espace-famille/", include("family_portal.urls")),
    path("pointage/", include("family_portal.attendance.urls")),
    path("attestations/", include("family_portal.certificates.urls")),
    path("communes/", include("home.urls")),
    path("recherche/", include("family_portal.discovery.urls")),
    path("plan-du-site/", site_plan, name="site_plan"),
    path("documents/", include(wagtaildocs_urls)),
    path("sitemap.xml", sitemap, name="sitemap"),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
