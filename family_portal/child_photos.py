"""A child's photo in the family file: sent by a parent (JPEG or PNG, the upload rules of
``uploads.py``), turned into a small JPEG (at most ``SIZE`` pixels a side, a few kB: the
check-in tablets keep the day's photos for offline use), kept in private storage and
served only by views that check who asks (the family, the family service, the
animateurs of the sites receiving the child). Re-encoding drops whatever the original
carried besides the picture (EXIF: place, device, date)."""

from __future__ import annotations

import io

from django import forms
from django.core.files.base import ContentFile
from django.http import FileResponse, Http404
from PIL import Image, ImageOps, UnidentifiedImageError

from .uploads import check_size, sniff_upload

SIZE = 320  # pixels, the longer side
QUALITY = 80
MAX_PIXELS = 50_000_000  # a 50-megapixel photo at most (refuses decompression bombs)
IMAGE_TYPES = {"image/jpeg", "image/png"}


def resized_photo(upload) -> ContentFile:
    """The upload as a small JPEG, or a French ValidationError."""
    check_size(upload)
    if sniff_upload(upload) not in IMAGE_TYPES:
        raise forms.ValidationError(
            "Ce fichier n'est pas une photo JPEG ou PNG. Envoyez une photo dans l'un de "
            "ces formats.",
            code="bad_type",
        )
    try:
        with Image.open(upload) as image:
            if image.width * image.height > MAX_PIXELS:
                raise forms.ValidationError(
                    "Cette image est trop grande (plus de 50 millions de pixels) : "
                    "envoyez une photo plus petite.",
                    code="too_many_pixels",
                )
            image = ImageOps.exif_transpose(image)
            image.thumbnail((SIZE, SIZE))
            if image.mode != "RGB":
                image = _flatten(image)
            output = io.BytesIO()
            image.save(output, "JPEG", quality=QUALITY, optimize=True)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise forms.ValidationError(
            "Cette photo est illisible ou abîmée : envoyez-en une autre.",
            code="unreadable",
        ) from error
    return ContentFile(output.getvalue(), name="photo.jpg")


def _flatten(image):
    """A transparent PNG on a white background (JPEG has no transparency)."""
    image = image.convert("RGBA")
    background = Image.new("RGB", image.size, "white")
    background.paste(image, mask=image.getchannel("A"))
    return background


def set_photo(child, content: ContentFile) -> None:
    """Replace the child's photo by ``content`` (from ``resized_photo``); the old file
    goes."""
    old = child.photo.name if child.photo else ""
    child.photo.save("photo.jpg", content, save=False)
    child.save(update_fields=["photo"])
    if old:
        child.photo.storage.delete(old)


def remove_photo(child) -> None:
    if child.photo:
        child.photo.delete(save=False)
        child.save(update_fields=["photo"])


def delete_photo_file(sender, instance, **kwargs) -> None:
    """post_delete of a child: no photo outlives its child."""
    if instance.photo:
        instance.photo.storage.delete(instance.photo.name)


def photo_response(child) -> FileResponse:
    """The photo itself, for a view that has checked who asks."""
    if not child.photo:
        raise Http404("Pas de photo.")
    try:
        handle = child.photo.open("rb")
    except FileNotFoundError:
        raise Http404("Pas de photo.") from None
    response = FileResponse(handle, content_type="image/jpeg")
    # Kept by the asker's browser only (the check-in tablet's offline copy), never by
    # a shared cache; the URL changes with the photo.
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
