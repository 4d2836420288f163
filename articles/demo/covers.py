"""Cover images for the demo articles, drawn with Pillow so the demo needs no files.

Each cover is a diagonal gradient in its category's colours with the title
set on it: recognisable at thumbnail size and different for every article.
"""

from __future__ import annotations

import hashlib
import io
import textwrap

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFont

COVER_SIZE = (1200, 630)  # the shape social cards use, so covers crop well everywhere

# Two colours per category; articles without one get a neutral pair.
PALETTES = {
    "Technology": ((32, 58, 120), (64, 160, 200)),
    "Food": ((170, 60, 40), (240, 160, 70)),
    "Travel": ((20, 110, 90), (120, 200, 150)),
    "Writing": ((90, 50, 120), (200, 120, 170)),
    "Publishing": ((40, 40, 50), (120, 130, 150)),
}
NEUTRAL = ((60, 60, 70), (150, 150, 160))


def demo_cover(title: str, category: str | None) -> ContentFile:
    start, end = PALETTES.get(category or "", NEUTRAL)
    image = _gradient(COVER_SIZE, start, end, seed=title)
    _draw_title(image, title)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85, optimize=True)
    slug = hashlib.sha1(title.encode()).hexdigest()[:10]
    return ContentFile(buffer.getvalue(), name=f"demo-{slug}.jpg")


def _gradient(size: tuple[int, int], start: tuple, end: tuple, *, seed: str) -> Image.Image:
    # A per-title angle: two covers of one category still look different.
    tilt = int(hashlib.sha1(seed.encode()).hexdigest(), 16) % 100 / 100
    horizontal = Image.linear_gradient("L").rotate(90).resize(size)
    vertical = Image.linear_gradient("L").resize(size)
    mask = Image.blend(horizontal, vertical, tilt)
    return Image.composite(Image.new("RGB", size, end), Image.new("RGB", size, start), mask)


def _draw_title(image: Image.Image, title: str) -> None:
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=64)
    lines = textwrap.wrap(title, width=28)[:4]
    line_height = 78
    top = (image.height - line_height * len(lines)) // 2
    for number, line in enumerate(lines):
        y = top + number * line_height
        draw.text((82, y + 3), line, font=font, fill=(0, 0, 0))  # a soft shadow keeps light colours readable
        draw.text((80, y), line, font=font, fill=(255, 255, 255))
