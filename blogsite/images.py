"""Uploaded images (article covers, avatars): validated with Pillow, then resized before they are stored.

Every check runs before the file reaches storage and fails as a ``ValidationError``, so a
form shows it next to the field: a hostile upload can cost a form error, never a 500 or
the server's memory. The order matters: the byte size is checked before anything is
decoded, the pixel count from the header alone, and only then are the pixels decoded.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from PIL import Image, ImageOps

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# A 48-megapixel phone photo passes; a "small" PNG that claims 100000×100000
# pixels (a decompression bomb: kilobytes on disk, gigabytes decoded) does not.
MAX_PIXELS = 50_000_000

# Format as Pillow names it → the extension the stored file gets. Opening with
# only these decoders also keeps Pillow's rarer (and less hardened) ones away.
FORMAT_EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif"}
ACCEPT_ATTRIBUTE = "image/jpeg,image/png,image/webp,image/gif"

_SAVE_OPTIONS = {
    "JPEG": {"quality": 85, "optimize": True, "progressive": True},
    "PNG": {"optimize": True},
    "WEBP": {"quality": 85, "method": 4},
    "GIF": {"optimize": True},
}


@dataclass(frozen=True)
class ImageSpec:
    """How an upload is stored: at most ``max_width`` wide, or cropped to exactly ``crop``."""

    max_width: int | None = None
    crop: tuple[int, int] | None = None

    @property
    def help_text(self) -> str:
        """What the form tells the uploader, from the limits themselves."""
        if self.crop is None:
            stored = f"scaled down to {self.max_width} pixels wide"
        elif self.crop[0] == self.crop[1]:
            stored = f"cropped to a {self.crop[0]}-pixel square"
        else:
            stored = f"cropped to {self.crop[0]}×{self.crop[1]} pixels"
        return f"JPEG, PNG, WebP or GIF, up to {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; {stored}."

    @property
    def draft_box(self) -> tuple[int, int]:
        # Either side may become the width once EXIF rotation is applied.
        side = max(self.crop or (self.max_width or 0, 0))
        return side, side


COVER = ImageSpec(max_width=1600)
AVATAR = ImageSpec(crop=(256, 256))


def open_image(upload: UploadedFile, spec: ImageSpec) -> Image.Image:
    """The upload's pixels, decoded, or a ValidationError that says what is wrong with it."""
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            "This file is %(size)s; the limit is %(limit)s.",
            code="file_too_large",
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(MAX_UPLOAD_BYTES)},
        )
    upload.seek(0)
    try:
        image = Image.open(upload, formats=list(FORMAT_EXTENSIONS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # The error comes over twice Image.MAX_IMAGE_PIXELS; the warning, over
        # once, only where warnings are turned into errors (as in the tests).
        raise _too_many_pixels() from exc
    except Exception as exc:
        # Not an image, or not one of our formats. Pillow's parsers raise a zoo
        # of exception types on hostile input (OSError, SyntaxError, struct.error, …).
        raise ValidationError(
            "Upload a JPEG, PNG, WebP or GIF image; this file is not one.", code="invalid_image"
        ) from exc
    # The header alone gives the size: refuse before decoding allocates it.
    if image.width * image.height > pixel_limit():
        raise _too_many_pixels()
    if image.format == "JPEG":
        # Decode a big photo at 1/2, 1/4 or 1/8 scale when the result is still
        # larger than needed: a fraction of the memory and time.
        image.draft(image.mode, spec.draft_box)
    try:
        image.load()
    except Exception as exc:
        raise ValidationError(
            "This image is damaged or incomplete (was the upload cut short?).", code="broken_image"
        ) from exc
    return image


def pixel_limit() -> int:
    """Ours, or Pillow's own bomb threshold where a deployment set it lower."""
    return min(MAX_PIXELS, Image.MAX_IMAGE_PIXELS or MAX_PIXELS)


def _too_many_pixels() -> ValidationError:
    return ValidationError(
        "This image has too many pixels; the limit is %(limit)s million.",
        code="too_many_pixels",
        params={"limit": f"{pixel_limit() / 1_000_000:g}"},
    )


def resize_image(image: Image.Image, spec: ImageSpec) -> Image.Image:
    """Upright (EXIF orientation applied) and no larger than ``spec`` allows."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("P", "1", "I", "I;16", "F"):
        # Resampling a palette or 1-bit image is nearest-neighbour only: work in full colour.
        # A palette may carry transparency, so it becomes RGBA.
        image = image.convert("RGBA" if image.mode == "P" else "RGB")
    if spec.crop:
        return ImageOps.fit(image, spec.crop, Image.Resampling.LANCZOS)
    if spec.max_width and image.width > spec.max_width:
        height = max(1, round(image.height * spec.max_width / image.width))
        return image.resize((spec.max_width, height), Image.Resampling.LANCZOS)
    return image


def encode_image(image: Image.Image, image_format: str, name: str) -> ContentFile:
    """``image`` in ``image_format``, as a file Django's ImageField stores; metadata is dropped.

    EXIF can hold the GPS position where a photo was taken: nothing of it is kept
    (the orientation was applied to the pixels already). The colour profile is kept.
    """
    if image_format == "JPEG" and image.mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")
    options = dict(_SAVE_OPTIONS[image_format])
    if icc_profile := image.info.get("icc_profile"):
        options["icc_profile"] = icc_profile
    buffer = io.BytesIO()
    # An animated GIF or WebP keeps its first frame: a cover or avatar does not move.
    image.save(buffer, format=image_format, **options)
    stem = Path(name).stem[:50] or "image"
    return ContentFile(buffer.getvalue(), name=stem + FORMAT_EXTENSIONS[image_format])


def process_upload(upload: UploadedFile, spec: ImageSpec) -> ContentFile:
    """Validate ``upload`` and return it resized per ``spec``, in its own format."""
    with open_image(upload, spec) as image:
        image_format = image.format
        return encode_image(resize_image(image, spec), image_format, upload.name or "image")


class ProcessedImageField(forms.FileField):
    """A form field for an ImageField: a valid image comes out resized, anything else is a field error.

    It replaces ``forms.ImageField``, whose check decodes the header without the
    byte-size limit and says only "not a valid image" whatever went wrong.
    """

    widget = forms.ClearableFileInput

    def __init__(self, *, spec: ImageSpec, **kwargs) -> None:
        self.spec = spec
        kwargs.setdefault("help_text", spec.help_text)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", ACCEPT_ATTRIBUTE)

    def to_python(self, data: UploadedFile | None) -> ContentFile | None:
        upload = super().to_python(data)  # empty, nameless and zero-byte uploads
        if upload is None:
            return None
        return process_upload(upload, self.spec)
