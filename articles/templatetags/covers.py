"""``{% cover_image article sizes=… %}``: a cover's ``<img>``, with its renditions in ``srcset`` once they are made."""

from django import template
from django.utils.html import format_html, format_html_join

from articles.cover_renditions import renditions_of

register = template.Library()


@register.simple_tag
def cover_image(article, *, sizes: str, alt: str = "", css_class: str = "", loading: str = ""):
    """The cover's ``<img>``: the original in ``src``, the renditions its manifest lists in ``srcset``.

    Without a manifest (not made yet, or their making failed) it is the
    original alone: a listed rendition always exists, so none shows broken.
    """
    cover = article.cover
    attributes = {"src": cover.url, "alt": alt, "class": css_class, "loading": loading}
    if renditions := renditions_of(cover.name):
        storage = cover.storage
        attributes |= {
            "srcset": ", ".join(f"{storage.url(r.name)} {r.width}w" for r in renditions.srcset),
            "sizes": sizes,
            # The box is reserved before the image arrives (the CSS gives the shape, these the ratio).
            "width": renditions.width,
            "height": renditions.height,
        }
    shown = {name: value for name, value in attributes.items() if value != "" or name == "alt"}
    return format_html("<img {}>", format_html_join(" ", '{}="{}"', shown.items()))
