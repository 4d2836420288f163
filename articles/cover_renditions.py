"""Smaller copies of a cover (renditions) for ``srcset``, and a link-preview copy, made once per cover file.

A cover is stored at most 1600 pixels wide (blogsite/images.py); a phone
needs a third of that. Each cover file gets WebP renditions at the widths of
RENDITION_WIDTHS below its own width, plus one at its own width (WebP is a
third smaller than the JPEG it comes from), and, when it is wider than
PREVIEW_WIDTH, a JPEG or PNG of that width for link previews (LinkedIn and
Facebook's crawlers do not take WebP). Nothing is upscaled.

They live under ``renditions/<cover name>/``, named by width, so no table
records them and no upload can take their name. A manifest written after the
last of them says what was made, with the sizes: pages read it, and list only
what it names. No manifest (not made yet, a failure, a crash half-way) means
the page shows the original, never a broken image; ``manage.py
make_cover_renditions`` makes what is missing.

They are made after the commit of the save that stored the cover (the request
holds no row lock while the pixels are resampled), and deleted with the cover
file by articles/cover_files.py: a cover a revision keeps keeps its renditions.
"""

from __future__ import annotations

import json
import logging
import posixpath
from dataclasses import dataclass
from functools import partial

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from PIL import Image

from blogsite.images import ImageSpec, encode_image, resize_image

logger = logging.getLogger(__name__)

FOLDER = "renditions"
MANIFEST = "manifest.json"
# A phone, a tablet or a phone at 2x, and the cover's own width for the rest.
RENDITION_WIDTHS = (480, 960)
# What Open Graph and Twitter's large cards ask for at least.
PREVIEW_WIDTH = 1200


@dataclass(frozen=True)
class Rendition:
    name: str
    width: int
    height: int


@dataclass(frozen=True)
class CoverRenditions:
    """What the manifest of one cover says: the cover's size, its srcset renditions (narrowest first), its preview."""

    width: int
    height: int
    srcset: tuple[Rendition, ...]
    preview: Rendition | None

    def to_json(self) -> str:
        return json.dumps(
            {
                "width": self.width,
                "height": self.height,
                "srcset": [rendition.__dict__ for rendition in self.srcset],
                "preview": self.preview.__dict__ if self.preview else None,
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> CoverRenditions:
        data = json.loads(text)
        preview = data.get("preview")
        return cls(
            width=int(data["width"]),
            height=int(data["height"]),
            srcset=tuple(Rendition(**rendition) for rendition in data["srcset"]),
            preview=Rendition(**preview) if preview else None,
        )


def cover_storage() -> Storage:
    # Imported here: the models import the receivers' modules, which import this one.
    from .models import Article

    return Article._meta.get_field("cover").storage


def folder_of(cover_name: str) -> str:
    return posixpath.join(FOLDER, cover_name)


def renditions_of(cover_name: str) -> CoverRenditions | None:
    """The cover's renditions as its manifest lists them; None when there are none (the page shows the original)."""
    if not cover_name:
        return None
    try:
        with cover_storage().open(posixpath.join(folder_of(cover_name), MANIFEST), "rb") as manifest:
            return CoverRenditions.from_json(manifest.read())
    except FileNotFoundError:
        return None  # not made yet, or their making failed: logged then
    except Exception:
        # Cut short by a crash or a full disk: treated as missing, and remade by the command.
        logger.warning("Unreadable rendition manifest of cover %s: the original is shown", cover_name, exc_info=True)
        return None


def make_renditions(cover_name: str, *, force: bool = False) -> CoverRenditions | None:
    """Make the cover's renditions and manifest, unless its manifest is there already (``force`` remakes them).

    Raises what the storage or Pillow raise; the renditions written before the
    failure are deleted, so nothing half-made is left without a manifest.
    """
    storage = cover_storage()
    if not force and (existing := renditions_of(cover_name)) is not None:
        return existing
    delete_renditions(cover_name)
    try:
        with storage.open(cover_name, "rb") as file, Image.open(file) as image:
            image.load()
            renditions = _write_renditions(storage, cover_name, image)
        # Written last: a page lists the renditions only once they are all there.
        storage.save(posixpath.join(folder_of(cover_name), MANIFEST), ContentFile(renditions.to_json().encode()))
    except Exception:
        delete_renditions(cover_name)
        raise
    return renditions


def _write_renditions(storage: Storage, cover_name: str, image: Image.Image) -> CoverRenditions:
    # The folder was emptied first; should a racing maker take a name meanwhile,
    # the storage picks another, and the manifest records the name it picked.
    folder = folder_of(cover_name)
    widths = [width for width in RENDITION_WIDTHS if width < image.width] + [image.width]
    srcset = []
    for width in widths:
        resized = resize_image(image, ImageSpec(max_width=width))
        name = storage.save(posixpath.join(folder, f"{width}w.webp"), encode_image(resized, "WEBP", "rendition"))
        srcset.append(Rendition(name, resized.width, resized.height))
    preview = None
    if image.width > PREVIEW_WIDTH:
        resized = resize_image(image, ImageSpec(max_width=PREVIEW_WIDTH))
        image_format = "PNG" if _has_transparency(resized) else "JPEG"
        extension = image_format.lower().replace("jpeg", "jpg")
        content = encode_image(resized, image_format, "preview")
        name = storage.save(posixpath.join(folder, f"preview-{PREVIEW_WIDTH}w.{extension}"), content)
        preview = Rendition(name, resized.width, resized.height)
    return CoverRenditions(image.width, image.height, tuple(srcset), preview)


def _has_transparency(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def delete_renditions(cover_name: str) -> None:
    """Delete every file in the cover's renditions folder, its manifest first, so no page lists a deleted one."""
    storage = cover_storage()
    folder = folder_of(cover_name)
    try:
        _, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files, key=lambda name: name != MANIFEST):
        storage.delete(posixpath.join(folder, name))


def make_renditions_logging_failure(cover_name: str) -> None:
    """``make_renditions``, with a failure logged instead of raised: the article and its cover are already saved."""
    try:
        make_renditions(cover_name)
    except Exception:
        logger.exception("Could not make the renditions of cover %s: its pages show the original", cover_name)


def make_renditions_on_commit(cover_name: str, *, using: str) -> None:
    """Once the saving transaction commits, make the renditions of the cover file it stored."""
    transaction.on_commit(partial(make_renditions_logging_failure, cover_name), using=using)


@dataclass(frozen=True)
class Made:
    made: int
    present: int
    failed: int


def make_missing_renditions(*, force: bool = False, report=logger.warning) -> Made:
    """Make the renditions of every article's cover that lacks them (all of them with ``force``).

    The articles' covers only: a revision's older cover gets them when a
    restore puts it back, as any save that stores a cover does.
    """
    from .models import Article

    names = Article._base_manager.exclude(cover="").order_by("cover").values_list("cover", flat=True).distinct()
    made = present = failed = 0
    for name in names.iterator():
        if not force and renditions_of(name) is not None:
            present += 1
            continue
        try:
            make_renditions(name, force=force)
        except Exception as error:
            failed += 1
            report(f"{name}: {error!r}")
        else:
            made += 1
    return Made(made, present, failed)
