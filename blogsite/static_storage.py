"""Whitenoise's manifest storage, working out each static file's URL once per process.

The manifest (staticfiles.json) is read when the process starts and does not
change under it, so the URL of a name never does either. Every page asks for
four ({% static %} in base.html), each a name clean-up, a manifest lookup and a
URL join: 4.5 % of a rendered category page (py-spy, docs/benchmarks.md).
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class CompressedManifestStaticFilesStorageWithKnownURLs(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._known_urls: dict[str, str] = {}

    def url(self, name: str, force: bool = False) -> str:
        if force:
            return super().url(name, force=True)
        known = self._known_urls.get(name)
        if known is None:
            # A name missing from the manifest raises here, every time, as before.
            known = self._known_urls[name] = super().url(name)
        return known
