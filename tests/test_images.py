"""blogsite.images: what an upload must be to be stored, and how it is stored."""

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from blogsite.images import AVATAR, COVER, MAX_UPLOAD_BYTES, ProcessedImageField, process_upload


def image_bytes(size=(64, 48), image_format="PNG", mode="RGB", **save_options) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "teal").save(buffer, format=image_format, **save_options)
    return buffer.getvalue()


def upload(content: bytes, name="picture.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


def png_header(width: int, height: int) -> bytes:
    """A PNG of a few dozen bytes that claims width × height pixels: a decompression bomb's header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def stored(file) -> Image.Image:
    return Image.open(io.BytesIO(file.read()))


def error_code(content: bytes, spec=COVER, name="picture.png") -> str:
    with pytest.raises(ValidationError) as caught:
        process_upload(upload(content, name), spec)
    return caught.value.code


@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "WEBP", "GIF"])
def test_cover_is_scaled_to_1600_wide_in_its_own_format(image_format):
    result = stored(process_upload(upload(image_bytes((3200, 1000), image_format)), COVER))
    assert result.format == image_format
    assert result.size == (1600, 500)


def test_a_small_cover_keeps_its_size_and_gets_the_extension_of_its_real_format():
    file = process_upload(upload(image_bytes((640, 480), "JPEG"), name="holiday.png"), COVER)
    assert file.name == "holiday.jpg"
    assert stored(file).size == (640, 480)


@pytest.mark.parametrize("size", [(1000, 400), (300, 900), (100, 100)])
def test_avatar_is_cropped_to_a_256_square(size):
    assert stored(process_upload(upload(image_bytes(size)), AVATAR)).size == (256, 256)


def test_exif_orientation_is_applied_and_metadata_dropped():
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x010F] = "PhoneMaker"
    content = image_bytes((300, 100), "JPEG", exif=exif.tobytes())
    result = stored(process_upload(upload(content, "photo.jpg"), COVER))
    assert result.size == (100, 300)
    assert not result.getexif()


def test_transparency_survives():
    result = stored(process_upload(upload(image_bytes((2000, 100), "PNG", mode="RGBA")), COVER))
    assert result.mode == "RGBA"


def test_text_renamed_png_is_rejected():
    assert error_code(b"Just some text, not an image at all.\n" * 20) == "invalid_image"


def test_formats_other_than_jpeg_png_webp_gif_are_rejected():
    assert error_code(image_bytes(image_format="BMP"), name="picture.bmp") == "invalid_image"


@pytest.mark.parametrize(
    ("image_format", "code"),
    # Pillow's WebP plugin decodes on open, so a cut WebP is not recognised at all.
    [("PNG", "broken_image"), ("JPEG", "broken_image"), ("WEBP", "invalid_image")],
)
def test_truncated_image_is_rejected(image_format, code):
    buffer = io.BytesIO()
    # Noise does not compress: half the file is half the pixels.
    Image.effect_noise((400, 300), 64).convert("RGB").save(buffer, format=image_format)
    content = buffer.getvalue()
    assert error_code(content[: len(content) // 2]) == code


def test_decompression_bomb_is_rejected_from_its_header():
    content = png_header(100_000, 100_000)  # 10 gigapixels in under 100 bytes
    assert len(content) < 100
    assert error_code(content) == "too_many_pixels"


def test_over_our_limit_but_under_pillows_is_rejected():
    assert error_code(png_header(8_000, 7_000)) == "too_many_pixels"  # 56 MP


@pytest.mark.parametrize("pixels", [70 * 70, 100 * 100])  # over Pillow's warning / error threshold
def test_a_lower_max_image_pixels_is_honoured(monkeypatch, pixels):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 4000)
    side = int(pixels**0.5)
    assert error_code(image_bytes((side, side))) == "too_many_pixels"


def test_oversized_upload_is_rejected_before_decoding():
    # Not even an image: the size alone decides, before Pillow reads a byte.
    assert error_code(b"\0" * (MAX_UPLOAD_BYTES + 1)) == "file_too_large"


def test_form_field_keeps_the_empty_value_and_says_what_is_wrong():
    field = ProcessedImageField(spec=COVER, required=False)
    assert field.clean(None, "covers/kept.png") == "covers/kept.png"  # no new upload: the stored one stays
    assert field.clean(None, "") is None
    with pytest.raises(ValidationError) as caught:
        field.clean(upload(b"not an image"))
    assert caught.value.messages == ["Upload a JPEG, PNG, WebP or GIF image; this file is not one."]
    assert field.clean(upload(image_bytes())).name == "picture.png"
