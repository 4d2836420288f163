"""
WSGI config for blogsite project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "blogsite.settings")

# Django's handler, with the page cache's hits answered in front of it.
django_application = get_wsgi_application()

from blogsite.page_cache_front import PageCacheFront  # noqa: E402 (needs the settings above)

application = PageCacheFront(django_application)
