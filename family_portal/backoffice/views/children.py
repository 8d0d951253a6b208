"""A child's photo in the family's back-office page, for agents who may see children."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache

from ... import child_photos
from ...models import Child
from ..permissions import require_perms

VIEW_CHILD = "family_portal.view_child"


@never_cache
@require_perms(VIEW_CHILD)
def child_photo(request, pk):
    return child_photos.photo_response(get_object_or_404(Child, pk=pk))
