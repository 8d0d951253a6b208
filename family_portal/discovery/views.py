"""The site search page (``/recherche/?q=…&page=…``), for everyone, signed in or not."""

from django import forms
from django.shortcuts import render
from django.utils import timezone
from wagtail.models import Site

from . import search


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Rechercher sur le site",
        required=False,
        max_length=search.MAX_QUERY_LENGTH,
        strip=True,
        error_messages={
            "max_length": "Votre recherche est trop longue : "
            f"{search.MAX_QUERY_LENGTH} caractères au plus. Gardez les mots "
            "les plus importants."
        },
        widget=forms.TextInput(
            attrs={"type": "search", "autocomplete": "off", "enterkeyhint": "search"}
        ),
    )


def search_page(request):
    form = SearchForm(request.GET or None, auto_id="recherche-%s")
    context = {"form": form, "query": "", "results": None}
    if form.is_valid() and form.cleaned_data["q"]:
        query = form.cleaned_data["q"]
        found = search.find(query, Site.find_for_request(request))
        results = search.paginate(found, request.GET.get("page"))
        context.update(
            query=query,
            results=results,
            hits=search.hits(results.object_list, request, timezone.localdate()),
        )
    return render(request, "discovery/search.html", context)
