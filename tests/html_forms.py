"""The forms of a rendered page, read the way a browser would submit them.

The bad-input sweep attacks what a page really sends, field by field, so it
reads the names from the HTML rather than from a form class: a field added to a
template or an admin form is swept without anyone listing it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

# Inputs a browser sends as name=value when the form is submitted unchanged;
# uploads are left out (they have their own tests in tests/test_images.py).
_TEXT_LIKE = {"text", "hidden", "email", "url", "search", "number", "password", "date", "datetime-local", "time", "tel"}


@dataclass
class HtmlForm:
    action: str
    method: str
    id: str = ""
    # What submitting the form unchanged sends.
    fields: list[tuple[str, str]] = field(default_factory=list)
    # Every named control but the buttons, in page order: also the unchecked
    # boxes and the selects with nothing to send, which a crafted request may
    # send all the same.
    names: list[str] = field(default_factory=list)
    # The named submit buttons; a view reads whether one was sent.
    buttons: list[str] = field(default_factory=list)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[HtmlForm] = []
        self._form: HtmlForm | None = None
        self._select: str | None = None
        self._select_values: list[str] = []
        self._first_option: str | None = None
        self._multiple = False
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._form = HtmlForm(
                attributes.get("action", ""), attributes.get("method", "get").lower(), attributes.get("id", "")
            )
            self.forms.append(self._form)
        if self._form is None or ("name" not in attributes and tag != "option") or "disabled" in attributes:
            return
        name = attributes.get("name", "")
        kind = attributes.get("type", "submit" if tag == "button" else "text").lower()
        if tag in {"input", "button"} and kind == "submit":
            self._form.buttons.append(name)
        elif name and name not in self._form.names and kind != "file":
            self._form.names.append(name)
        if tag == "input":
            if kind in _TEXT_LIKE or (kind in {"checkbox", "radio"} and "checked" in attributes):
                self._form.fields.append((name, attributes.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select":
            self._select, self._select_values, self._first_option = name, [], None
            self._multiple = "multiple" in attributes
        elif tag == "option" and self._select is not None:
            value = attributes.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in attributes:
                self._select_values.append(value)
        elif tag == "textarea":
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._form is None:
            return
        if tag == "select" and self._select is not None:
            # A single select with nothing marked sends its first option, as a browser does.
            values = self._select_values
            if not values and not self._multiple and self._first_option is not None:
                values = [self._first_option]
            self._form.fields.extend((self._select, value) for value in values)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # The HTML parser drops the newline that follows <textarea>, as browsers do.
            self._form.fields.append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None
        elif tag == "form":
            self._form = None


def forms_in(html: str) -> list[HtmlForm]:
    """Every <form> of ``html`` with the name=value pairs submitting it unchanged would send."""
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms
