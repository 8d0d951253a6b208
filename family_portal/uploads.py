"""Files sent by families: PDF, JPEG or PNG up to 5 MB, type checked on content (QF
documents, certificates; a child's photo accepts the images only)."""

from pathlib import PurePath

from django import forms

from home.french import file_size

MAX_UPLOAD_SIZE = 5 * 1024 * 1024

# The first bytes of each accepted format; the browser's Content-Type and the file name
# are chosen by the sender, so they prove nothing.
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


def sniff_content_type(head: bytes) -> str | None:
    for content_type, signatures in SIGNATURES.items():
        if any(head.startswith(signature) for signature in signatures):
            return content_type
    return None


def check_size(upload):
    """Refuse an empty file or one over the limit (French ValidationError)."""
    if upload.size == 0:
        raise forms.ValidationError("Le fichier est vide.", code="empty")
    if upload.size > MAX_UPLOAD_SIZE:
        raise forms.ValidationError(
            "Le fichier pèse %(size)s : la limite est de 5 Mo. Réduisez-le (photo moins "
            "lourde, PDF compressé) puis réessayez.",
            code="too_large",
            params={"size": file_size(upload.size)},
        )


def sniff_upload(upload) -> str | None:
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    return sniff_content_type(head)


def validate_qf_upload(upload):
    """Return the real content type of an upload, or raise a French ValidationError."""
    check_size(upload)
    content_type = sniff_upload(upload)
    if content_type is None:
        raise forms.ValidationError(
            "Ce fichier n'est ni un PDF, ni une image JPEG ou PNG. Envoyez votre "
            "justificatif dans l'un de ces formats.",
            code="bad_type",
        )
    return content_type


def name_for(filename: str, content_type: str) -> str:
    """The file's name with the extension of what it really is (photo.pdf holding a
    PNG becomes photo.png)."""
    if content_type not in EXTENSIONS:
        return filename
    return (PurePath(filename).stem.strip() or "justificatif") + EXTENSIONS[
        content_type
    ]
