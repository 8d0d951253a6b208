"""The "Plan du site": every live public page of the site as a nested list, linked from
every page's footer. With the search form in the header, the second way to find a page
that the RGAA asks for (criterion 12.1)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.shortcuts import render
from wagtail.models import Page, Site


@dataclass
class Branch:
    page: Page
    url: str
    children: list[Branch] = field(default_factory=list)


def page_tree(site: Site, request) -> Branch | None:
    """The site's root page and its live public descendants, in the editors' order, in
    one query. A page under a private or unpublished one is left out with it."""
    root = site.root_page
    pages = (
        Page.objects.descendant_of(root, inclusive=True)
        .live()
        .public()
        .only("id", "path", "depth", "title", "url_path", "slug")
        .order_by("path")
    )
    branches: dict[str, Branch] = {}
    top = None
    for page in pages:
        branch = Branch(page, page.get_url(request))
        parent = branches.get(page.path[: -Page.steplen])
        if page.pk == root.pk:
            top = branch
        elif parent is None:
            continue  # its parent is not shown
        else:
            parent.children.append(branch)
        branches[page.path] = branch
    return top


def site_plan(request):
    site = Site.find_for_request(request)
    # Read by the template, inside its cached fragment: no query on a cache hit.
    return render(
        request,
        "home/site_plan.html",
        {"tree": (lambda: page_tree(site, request)) if site else None, "site": site},
    )
