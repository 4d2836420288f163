"""The admin's author form: avatars go through the same checks and crop as the profile page's."""

from __future__ import annotations

from django import forms
from django.contrib.admin.widgets import AdminFileWidget

from blogsite.images import AVATAR, ProcessedImageField

from .models import Author


class AuthorAdminForm(forms.ModelForm):
    # Declared, so the admin cannot fall back to forms.ImageField, which stores the
    # upload as sent: uncropped, with its EXIF (GPS included) and no byte limit.
    avatar = ProcessedImageField(spec=AVATAR, required=False, widget=AdminFileWidget)

    class Meta:
        model = Author
        fields = ["user", "bio", "avatar"]
