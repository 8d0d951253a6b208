"""Where the family portal keeps private files (QF documents, certificates, batches)."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def private_storage():
    # QF documents are never served from MEDIA_URL: only the family and the agents may
    # read them, through a view that checks who asks.
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)
