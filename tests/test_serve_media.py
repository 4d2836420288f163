"""Uploads served by Django itself (SERVE_MEDIA, development only): blogsite.views.serve_media."""

import pytest
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.test import RequestFactory

from blogsite.views import serve_media


@pytest.fixture
def upload(settings):
    settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
    (settings.MEDIA_ROOT / "cover.txt").write_text("an upload")
    return "cover.txt"


def test_an_upload_is_served(upload):
    response = serve_media(RequestFactory().get(f"/media/{upload}"), upload)
    assert (response.status_code, b"".join(response.streaming_content)) == (200, b"an upload")


@pytest.mark.parametrize("path", ["no-such-file.png", "x" * 5000, "a/" * 3000])
def test_a_name_that_is_no_upload_is_a_404(upload, path):
    with pytest.raises(Http404):
        serve_media(RequestFactory().get("/media/"), path)


def test_a_path_out_of_the_media_folder_is_refused_as_suspicious(upload):
    with pytest.raises(SuspiciousOperation):  # a 400
        serve_media(RequestFactory().get("/media/"), "../settings.py")
