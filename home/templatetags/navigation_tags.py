"""Main menu, breadcrumb and footer, built from the page tree of the current site."""

from django import template
from wagtail.models import Site

register = template.Library()


def _site_root(request):
    site = Site.find_for_request(request)
    return site.root_page if site else None


@register.inclusion_tag("includes/main_menu.html", takes_context=True)
def main_menu(context):
    request = context["request"]
    current = context.get("page") or context.get("self")
    root = _site_root(request)
    items = list(root.get_children().live().in_menu()) if root is not None else []
    current_path = getattr(current, "url_path", None)
    return {
        "request": request,
        "root": root,
        "items": [
            {
                "page": item,
                "current": current_path == item.url_path,
                "ancestor": bool(current_path)
                and current_path != item.url_path
                and current_path.startswith(item.url_path),
            }
            for item in items
        ],
        "home_current": root is not None and current_path == root.url_path,
    }


@register.inclusion_tag("includes/breadcrumb.html", takes_context=True)
def breadcrumb(context):
    page = context.get("page")
    request = context["request"]
    root = _site_root(request)
    if page is None or root is None or page.depth <= root.depth:
        return {"ancestors": [], "page": None, "request": request}
    ancestors = page.get_ancestors().filter(depth__gte=root.depth)
    return {"ancestors": ancestors, "page": page, "request": request}
