"""Photos residents and workers attach: checked to be images, limited in size and number, and
re-encoded so nothing but the pixels is kept (no EXIF, so no GPS position or camera serial)."""

import io
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 8 * 1024 * 1024
MAX_PHOTOS = 6
MAX_SIDE = 2560
# Decoding bombs: refuse anything above 40 megapixels before decoding it.
MAX_PIXELS = 40_000_000
FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "HEIF", "MPO"}


@dataclass(frozen=True)
class CleanPhoto:
    content: ContentFile
    content_type: str
    width: int
    height: int


def clean_photo(upload: UploadedFile, *, field: str = "photos") -> CleanPhoto:
    """The upload as a clean image, or ValidationError naming the file and what is wrong."""
    name = upload.name or "photo"
    if upload.size is not None and upload.size > MAX_BYTES:
        raise ValidationError(
            {field: _("%(name)s is larger than 8 MB.") % {"name": name}}, code="too_large"
        )
    if upload.seekable():
        upload.seek(0)  # a form or an earlier check may have read it already
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValidationError(
            {field: _("%(name)s is larger than 8 MB.") % {"name": name}}, code="too_large"
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in FORMATS:
                raise UnidentifiedImageError(probe.format)
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(
                    {field: _("%(name)s has too many pixels.") % {"name": name}}, code="too_big"
                )
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            # Apply the camera's rotation before the EXIF block that carries it is dropped.
            upright = ImageOps.exif_transpose(image)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            {field: _("%(name)s is not a photo (JPEG, PNG or WebP).") % {"name": name}},
            code="not_image",
        ) from None
    upright.thumbnail((MAX_SIDE, MAX_SIDE))
    keep_alpha = upright.mode in ("RGBA", "LA") or "transparency" in upright.info
    out = io.BytesIO()
    if keep_alpha:
        clean = upright.convert("RGBA")
        # A fresh image carries no info dict: nothing of the original's metadata is written.
        Image.frombytes("RGBA", clean.size, clean.tobytes()).save(out, "PNG", optimize=True)
        content_type, suffix = "image/png", "png"
    else:
        clean = upright.convert("RGB")
        Image.frombytes("RGB", clean.size, clean.tobytes()).save(out, "JPEG", quality=85)
        content_type, suffix = "image/jpeg", "jpg"
    return CleanPhoto(
        content=ContentFile(out.getvalue(), name=f"photo.{suffix}"),
        content_type=content_type,
        width=clean.width,
        height=clean.height,
    )


def clean_photos(uploads: Sequence[UploadedFile], *, field: str = "photos") -> list[CleanPhoto]:
    """All uploads cleaned, or ValidationError before anything is stored."""
    if len(uploads) > MAX_PHOTOS:
        raise ValidationError(
            {field: _("At most %(n)d photos per step.") % {"n": MAX_PHOTOS}}, code="too_many"
        )
    return [clean_photo(upload, field=field) for upload in uploads]
