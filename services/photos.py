"""Photo intake: content-sniffed images only, EXIF stripped from the stored
file, GPS position kept for the database column only."""

from __future__ import annotations

import hashlib
import io
import math
import warnings
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from core.errors import ValidationFailed

MAX_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 9
ALLOWED = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
#: Refuse decompression bombs: Pillow raises DecompressionBombError above
#: twice this many pixels and warns above it; both become a 400 here.
MAX_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
_GPS_IFD = 0x8825


@dataclass
class CleanPhoto:
    content: bytes
    content_type: str
    extension: str
    sha256: str
    lat: Decimal | None
    lng: Decimal | None


def _dms_to_decimal(dms: Any, ref: str) -> Decimal | None:
    try:
        degrees, minutes, seconds = (float(x) for x in dms)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = degrees + minutes / 60 + seconds / 3600
    if ref in ("S", "W"):
        value = -value
    limit = 90 if ref in ("N", "S") else 180
    if not math.isfinite(value) or abs(value) > limit:
        return None  # a broken or forged EXIF position is dropped, not stored
    return Decimal(f"{value:.6f}")


def clean_photo(upload: IO[bytes], *, name: str = "photo") -> CleanPhoto:
    """Validate one uploaded image and return a re-encoded copy without EXIF."""
    raw = upload.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ValidationFailed(
            _("%(name)s is larger than 10 MB.") % {"name": name}, code="photo_too_large"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                probe.verify()
        image = Image.open(io.BytesIO(raw))
        image_format = image.format or ""
        if image_format not in ALLOWED:
            raise UnidentifiedImageError(image_format)
        if image.width * image.height > MAX_PIXELS:
            raise ValidationFailed(
                _("%(name)s has too many pixels.") % {"name": name}, code="photo_too_large"
            )
        exif = image.getexif()
        gps = exif.get_ifd(_GPS_IFD) if exif else {}
        lat = _dms_to_decimal(gps.get(2), gps.get(1, "N")) if gps.get(2) else None
        lng = _dms_to_decimal(gps.get(4), gps.get(3, "E")) if gps.get(4) else None
        # Re-encode the pixels only: drops EXIF (GPS, device, owner) and any
        # payload appended to the file.
        pixels = (
            image.convert("RGB")
            if image_format == "JPEG" and image.mode not in ("RGB", "L")
            else image
        )
        out = io.BytesIO()
        pixels.save(out, format=image_format, **({"quality": 90} if image_format == "JPEG" else {}))
    except ValidationFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationFailed(
            _("%(name)s has too many pixels.") % {"name": name}, code="photo_too_large"
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationFailed(
            _("%(name)s is not a JPEG, PNG or WebP image.") % {"name": name},
            code="photo_not_an_image",
        ) from exc
    content = out.getvalue()
    return CleanPhoto(
        content=content,
        content_type=ALLOWED[image_format],
        extension={"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[image_format],
        sha256=hashlib.sha256(content).hexdigest(),
        lat=lat,
        lng=lng,
    )


def clean_photos(uploads: list[Any] | None) -> list[CleanPhoto]:
    uploads = list(uploads or [])
    if len(uploads) > MAX_PHOTOS:
        raise ValidationFailed(
            _("At most %(n)d photos.") % {"n": MAX_PHOTOS},
            code="too_many_photos",
            extra={"fields": {"photos": [_("At most %(n)d photos.") % {"n": MAX_PHOTOS}]}},
        )
    return [
        clean_photo(u, name=getattr(u, "name", f"photo {i + 1}")) for i, u in enumerate(uploads)
    ]
