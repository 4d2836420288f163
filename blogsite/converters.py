"""The path converter for slugs and usernames in the site's URLs.

Django's ``str`` converter takes any character but ``/``, NUL included, and
PostgreSQL refuses a NUL in a text parameter with an error instead of finding
no row: ``/articles/%00/`` would be a 500 rather than a 404. This converter
takes what ``str`` takes except NUL, so such an address simply matches no URL.
Unicode slugs (``slugify(allow_unicode=True)``) still match.
"""

from django.urls import register_converter
from django.urls.converters import StringConverter


class PathSegmentConverter(StringConverter):
    regex = "[^/\x00]+"


# Imported by every urls module that uses <segment:…>; a module body runs once.
register_converter(PathSegmentConverter, "segment")
