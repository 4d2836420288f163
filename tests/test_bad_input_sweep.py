"""Hostile values in every public form and query parameter and on every admin page: never a 500.

DESIGN.md, "Bad input": nothing a user sends produces a 500. The tests here
do not name fields: they read them from the URLconf, the rendered forms and the
admin registry, so a new page, field, filter or ModelAdmin is swept the day it
is added. Each test sends a family of requests and reports every 500 at once,
with the exception behind it, so one run shows the whole class.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import quote, quote_plus

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IS_POPUP_VAR, TO_FIELD_VAR
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR, SEARCH_VAR
from django.contrib.auth.models import Group
from django.db import models, transaction
from django.template.base import Template
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from articles.models import ArticleRedirect, Tag
from authors.models import Follow
from authors.unsubscribe import UnsubscribeLink
from blogsite.admin_input import StrictInputMixin
from comments.models import Comment
from tests.factories import ArticleFactory, CategoryFactory, CommentFactory, UserFactory, make_author
from tests.html_forms import HtmlForm, forms_in

pytestmark = pytest.mark.django_db

# Each value as it travels, percent-encoded: a lone surrogate or invalid UTF-8
# cannot be a Python str that the test client would encode for us.
HOSTILE = {
    "nul": "%00",
    "past-64-bits": "9" * 20,
    "not-a-number": "abc",
    "negative": "-1",
    "long": "x" * 5000,
    "dashes": "-" * 40,
    "script": quote_plus("<script>alert(1)</script>"),
    "unicode": quote_plus("日本語 ✓ 🎉 \u202e"),
    "lone-surrogate": "%ED%A0%80",
    "invalid-utf8": "%FF%FE",
    "operators": quote_plus("\"( !a | b ) & 'c <-> d:* \\"),
}
# What the admin's search box is sent: its terms are split on spaces and
# quotes, then each is compared with text fields (or, with "=", an id).
SEARCH_VALUES = {
    **{kind: HOSTILE[kind] for kind in ("nul", "past-64-bits", "not-a-number", "long", "operators")},
    "non-ascii": HOSTILE["unicode"] + HOSTILE["lone-surrogate"] + HOSTILE["invalid-utf8"],
}
# Ids a crafted checkbox or select sends instead of a primary key, the likeliest to break first.
HOSTILE_IDS = ["%00", "9" * 20, "abc", "-1", "1.5", "x" * 5000, "%ED%A0%80"]


class Sweep:
    """Sends requests and keeps every 500, so a test reports all of them and not just the first."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.failures: list[str] = []
        self.sent = 0

    def get(self, path: str, pairs: Iterable[tuple[str, str]] = ()):
        return self._send("GET", path, pairs)

    def post(self, path: str, pairs: Iterable[tuple[str, str]]):
        return self._send("POST", path, pairs)

    def _send(self, method: str, path: str, pairs: Iterable[tuple[str, str]]):
        query = encoded(pairs)
        self.sent += 1
        with transaction.atomic():
            if method == "GET":
                response = self.client.get(f"{path}?{query}")
            else:
                response = self.client.post(path, query, content_type="application/x-www-form-urlencoded")
            if response.status_code >= 500:
                # A database error leaves PostgreSQL's transaction aborted, and
                # the test's one transaction would fail every request after it:
                # back to before this one, as a new request starts afresh.
                transaction.set_rollback(True)
                error = response.exc_info[1] if response.exc_info else "no exception"
                self.failures.append(
                    f"{method} {shortened(path)} {shortened(query)} → {response.status_code} {shortened(repr(error))}"
                )
        return response

    def assert_no_server_errors(self) -> None:
        assert self.sent, "the sweep sent nothing: the pages it reads its fields from have changed"
        if self.failures:
            report = "\n".join(self.failures)
            pytest.fail(f"{len(self.failures)} of {self.sent} requests answered 5xx:\n{report}", pytrace=False)


def shortened(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else f"{text[:limit]}…"


def encoded(pairs: Iterable[tuple[str, str]]) -> str:
    """``pairs`` as a query string; the values are percent-encoded already."""
    return "&".join(f"{quote_plus(name)}={value}" for name, value in pairs)


def page_values(form: HtmlForm) -> list[tuple[str, str]]:
    """What submitting ``form`` unchanged sends, encoded for Sweep."""
    return [(name, quote_plus(value)) for name, value in form.fields]


def with_value(pairs: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    """``pairs`` with every value of ``name`` replaced by ``value`` (added if the page sent none)."""
    kept = [(key, old) for key, old in pairs if key != name]
    return [*kept, (name, value)]


# What a form is sent: HOSTILE but the values only query parsers care about
# (search operators, -1), with the non-ASCII ones in one value (a form reads
# invalid UTF-8 and the lone surrogate alike, as replacement characters).
FORM_VALUES = {
    **{kind: HOSTILE[kind] for kind in ("nul", "past-64-bits", "not-a-number", "long", "dashes", "script")},
    "non-ascii": HOSTILE["unicode"] + HOSTILE["lone-surrogate"] + HOSTILE["invalid-utf8"],
}
# Sent in each field alone, the other fields as the page filled them, when
# those make a valid form: the form goes on to its clean() and its save, where
# text the database refuses, a number past 64 bits or more text than a column
# holds could still fail (a form field declared without the model field's
# limits lets them through). What a field's own parsing fails on, every field
# at once shows as well, as no field hides another's error: the whole cross
# product would treble the sweep's time for nothing.
FIELD_BY_FIELD = ["nul", "past-64-bits", "long"]


def sweep_form(
    sweep: Sweep,
    form: HtmlForm,
    action: str,
    *,
    reread: Callable[[], HtmlForm] | None = None,
    all_at_once: bool = True,
) -> None:
    """Post ``form`` with hostile values everywhere at once, then field by field.

    ``reread``: how to read the form again after a post that saved it, for a
    form that checks it is not stale (the article editor). ``all_at_once``:
    False for a form whose fields' parsing another page sweeps already.
    """
    sent = page_values(form)
    token = [(name, value) for name, value in sent if name == "csrfmiddlewaretoken"]
    names = [name for name in form.names if name != "csrfmiddlewaretoken"]
    for value in FORM_VALUES.values() if all_at_once else ():  # the buttons too: a preview renders what it is sent
        sweep.post(action, [*token, *((name, value) for name in [*names, *form.buttons])])
    if not sweep.post(action, sent).has_header("Location"):
        return  # the page's own values are no valid form (a blank one): there is no save to reach
    for button in form.buttons:  # another way out of a save: "save and continue", "save and add another"
        sweep.post(action, [*sent, (button, "1")])
    for name in names:
        for kind in FIELD_BY_FIELD:
            saved = sweep.post(action, with_value(sent, name, HOSTILE[kind])).has_header("Location")
            if saved and reread:
                sent = page_values(reread())


@pytest.fixture
def sweep(client, monkeypatch) -> Sweep:
    client.raise_request_exception = False
    # The test client keeps a copy of every template's context for
    # response.context; the sweep reads status codes only, and the copies
    # cost it a quarter of its time. This is Template._render undecorated.
    monkeypatch.setattr(Template, "_render", lambda self, context: self.nodelist.render(context))
    return Sweep(client)


@pytest.fixture
def site_content(db):
    """One of everything a page can name: an author with a published article, a category, a comment."""
    writer = make_author(username="writer", first_name="Wri", last_name="Ter")
    category = CategoryFactory(name="Gardening")
    article = ArticleFactory(
        title="Compost", author=writer, category=category, status="published", published_at=timezone.now()
    )
    CommentFactory(article=article, status=Comment.Status.APPROVED)
    tag = Tag.objects.create(name="Soil", slug="soil")
    article.tags.add(tag)
    return {"writer": writer, "category": category, "article": article, "tag": tag}


# --- the public site -----------------------------------------------------------

# Every query parameter a public view reads, by URL name; each page is also
# sent a parameter no view reads, one per hostile value.
PUBLIC_QUERY_PARAMETERS = {
    "home": ["page"],
    "category_detail": ["page"],
    "tag_detail": ["page"],
    "article_detail": ["reply"],
    "author_detail": ["page"],
    "dashboard": ["page"],
    "search": ["q", "page"],
    "article_history": ["page"],
    "article_compare": ["from", "to"],
    "django.contrib.sitemaps.views.sitemap": ["p"],
    "login": ["next"],
    "article_write": ["autosave"],
    "article_edit": ["autosave"],
}
# Reached by POST only, from a page's form or its script: swept with those.
POST_ONLY = {
    "logout",
    "markdown_preview",
    "comment_create",
    "author_follow",
    "author_unfollow",
    "article_restore",
    "autosave_new_article",
    "autosave_article",
    "discard_new_article_autosave",
    "discard_article_autosave",
}


def site_patterns(patterns=None) -> list[URLPattern]:
    """Every URL pattern of the URLconf outside the admin."""
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            found += [] if pattern.namespace == "admin" else site_patterns(pattern.url_patterns)
        else:
            found.append(pattern)
    return found


def public_pages(content) -> dict[str, str]:
    """URL name → address, for every page a GET reaches (a slug or username from ``content``)."""
    article, category, writer = content["article"], content["category"], content["writer"]
    pages = {
        "article_detail": article.get_absolute_url(),
        "article_edit": reverse("article_edit", args=[article.slug]),
        "article_delete": reverse("article_delete", args=[article.slug]),
        "article_history": reverse("article_history", args=[article.slug]),
        "article_compare": reverse("article_compare", args=[article.slug]),
        "category_detail": category.get_absolute_url(),
        "author_detail": writer.get_absolute_url(),
        "category_feed": reverse("category_feed", args=[category.slug]),
        "tag_detail": content["tag"].get_absolute_url(),
        "tag_feed": reverse("tag_feed", args=[content["tag"].slug]),
        "author_feed": reverse("author_feed", args=[writer.user.username]),
        "password_reset_confirm": reverse("password_reset_confirm", args=["MQ", "set-password"]),
        "unsubscribe": reverse(
            "unsubscribe", args=[UnsubscribeLink(follower_id=writer.user_id, author_id=writer.pk).token()]
        ),
    }
    for pattern in site_patterns():
        if pattern.name and not pattern.pattern.converters and pattern.name not in POST_ONLY:
            pages[pattern.name] = reverse(pattern.name)
    return pages


def test_every_page_of_the_urlconf_is_swept(site_content):
    named = {pattern.name for pattern in site_patterns() if pattern.name}
    assert named - POST_ONLY - set(public_pages(site_content)) == set(), "add these to public_pages()"


def test_public_query_parameters_never_500(sweep, site_content):
    sweep.client.force_login(site_content["writer"].user)
    for name, path in public_pages(site_content).items():
        for parameter in PUBLIC_QUERY_PARAMETERS.get(name, []):
            for value in HOSTILE.values():
                sweep.get(path, [(parameter, value)])
        sweep.get(path, [(f"unknown-{kind}", value) for kind, value in HOSTILE.items()])
    sweep.assert_no_server_errors()


def test_hostile_path_segments_never_500(sweep, site_content, settings):
    # Every captured part of every address; <segment:…> turns NUL into a 404,
    # the views must turn the rest into a 404 or a page.
    sweep.client.force_login(site_content["writer"].user)
    addresses = [
        (reverse(pattern.name, kwargs=dict.fromkeys(pattern.pattern.converters, "SEGMENT")), pattern.name in POST_ONLY)
        for pattern in site_patterns()
        if pattern.name and pattern.pattern.converters
    ]
    if settings.SERVE_MEDIA:
        addresses.append((f"/{settings.MEDIA_URL.strip('/')}/SEGMENT", False))
    for address, post_only in addresses:
        for value in [*HOSTILE.values(), "%2e%2e", quote("../..", safe="")]:
            path = address.replace("SEGMENT", value)
            if post_only:
                sweep.post(path, [("body", "x")])
            else:
                sweep.get(path)
    sweep.assert_no_server_errors()


def posted_forms(client: Client, path: str) -> list[HtmlForm]:
    """The forms of ``path`` that submit to this site by POST, logout excepted (it would end the sweep's session)."""
    page = client.get(path)
    assert page.status_code == 200, f"{path} answered {page.status_code}"
    return [
        form
        for form in forms_in(page.content.decode())
        if form.method == "post" and not form.action.startswith(("http:", "https:")) and "logout" not in form.action
    ]


@pytest.mark.parametrize(
    ("page_name", "visitor"),
    [
        ("article_detail", "guest"),  # a guest's comment form
        ("article_detail", "reader"),  # a reader's comment form
        ("article_write", "writer"),
        ("article_edit", "writer"),
        ("author_detail", "reader"),  # follow
        ("signup", "guest"),
        ("login", "guest"),
        ("password_reset", "guest"),
        ("password_change", "writer"),
        ("profile_edit", "writer"),
    ],
)
def test_public_forms_never_500(sweep, site_content, reader, page_name, visitor):
    user = {"guest": None, "reader": reader, "writer": site_content["writer"].user}[visitor]
    if user:
        sweep.client.force_login(user)
    path = public_pages(site_content)[page_name]
    forms = posted_forms(sweep.client, path)
    assert forms, f"no form on {path}"
    for index, form in enumerate(forms):
        sweep_form(sweep, form, form.action or path, reread=lambda index=index: posted_forms(sweep.client, path)[index])
        if user:  # a successful sign-up or password change may have changed who is signed in
            sweep.client.force_login(user)
    sweep.assert_no_server_errors()


def test_markdown_preview_never_500(sweep, author):
    # Posted by static/js/editor.js, not by a form of the page.
    sweep.client.force_login(author.user)
    for value in HOSTILE.values():
        sweep.post(reverse("markdown_preview"), [("body", value)])
    sweep.assert_no_server_errors()


def test_autosave_never_500(sweep, site_content):
    # Posted by static/js/autosave.js as JSON; form-encoded here, so each value arrives as sent.
    sweep.client.force_login(site_content["writer"].user)
    paths = [
        reverse("autosave_new_article"),
        reverse("autosave_article", kwargs={"slug": site_content["article"].slug}),
    ]
    for path in paths:
        for name in ("title", "excerpt", "body", "version"):
            for value in HOSTILE.values():
                fields = {"title": "t", "excerpt": "", "body": "b", "version": "", name: value}
                sweep.post(path, fields.items())
    sweep.assert_no_server_errors()


# --- the admin -----------------------------------------------------------------

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
ADMIN_MODELS = [pytest.param(model, id=model._meta.label) for model in REGISTERED]


@pytest.fixture
def admin_content(site_content):
    """A row of every registered model, so every change page has something to change."""
    article = site_content["article"]
    follower = UserFactory()
    Follow.objects.create(follower=follower, author=site_content["writer"])
    ArticleRedirect.objects.create(old_slug="old-compost", article=article)
    CommentFactory(article=article, user=follower, status=Comment.Status.PENDING)
    Group.objects.create(name="Editors")
    return site_content


@pytest.fixture
def staff(sweep):
    user = UserFactory(is_staff=True, is_superuser=True)
    sweep.client.force_login(user)
    return user


def admin_url(model: type[models.Model], view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def filter_parameters(model: type[models.Model], user) -> list[str]:
    """Every query parameter the model's list filters and date drill-down read."""
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = user
    parameters = []
    for spec in model_admin.get_changelist_instance(request).filter_specs:
        parameters += spec.expected_parameters()
    if model_admin.date_hierarchy:
        parameters += [f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")]
    return parameters


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_admin_changelist_parameters_never_500(sweep, admin_content, staff, model):
    path = admin_url(model, "changelist")
    for value in SEARCH_VALUES.values():
        sweep.get(path, [(SEARCH_VAR, value)])
    for kind in ("nul", "not-a-number", "lone-surrogate"):  # as a parameter's name: a lookup Django checks
        sweep.get(path, [(HOSTILE[kind], "1")])
    for parameter in filter_parameters(model, staff):
        for kind in ("nul", "past-64-bits", "not-a-number"):
            sweep.get(path, [(parameter, HOSTILE[kind])])
    # Read by Django's own changelist code, the same way on every admin (a NUL
    # in any of them meets the check the filters' values meet); the ordering
    # and the page are numbers, which may also be too large.
    for parameter in (ORDER_VAR, PAGE_VAR, TO_FIELD_VAR, IS_POPUP_VAR, "_facets", "all", "e", "pk"):
        sweep.get(path, [(parameter, HOSTILE["not-a-number"])])
    for parameter in (ORDER_VAR, PAGE_VAR):
        sweep.get(path, [(parameter, HOSTILE["past-64-bits"])])
    date_field = admin.site._registry[model].date_hierarchy
    if date_field:
        # Drill-downs whose bounds fall outside what a datetime holds.
        drills = [("9999", None, None), ("9999", "12", None), ("9999", "12", "31"), ("1", "1", "1"), ("0", "1", "1")]
        for year, month, day in drills:
            drill = [(f"{date_field}__year", year), (f"{date_field}__month", month), (f"{date_field}__day", day)]
            sweep.get(path, [(name, value) for name, value in drill if value is not None])
    sweep.assert_no_server_errors()


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_admin_actions_with_crafted_selections_never_500(sweep, admin_content, staff, model):
    path = admin_url(model, "changelist")
    request = RequestFactory().post(path)
    request.user = staff
    # An admin without actions (no delete permission) is sent Django's default one all the same.
    actions = list(admin.site._registry[model].get_actions(request)) or ["delete_selected"]
    for bad_id in HOSTILE_IDS:
        sweep.post(path, [("action", actions[0]), ("index", "0"), (ACTION_CHECKBOX_NAME, bad_id)])
    for action in actions[1:]:  # each reads its queryset its own way: an update, a loop, a confirmation page
        for bad_id in HOSTILE_IDS[:3]:
            sweep.post(path, [("action", action), ("index", "0"), (ACTION_CHECKBOX_NAME, bad_id)])
    valid = str(model._default_manager.order_by("pk").values_list("pk", flat=True).first() or 1)
    for kind in ("nul", "past-64-bits", "not-a-number"):
        for name in ("action", "index", "select_across"):
            pairs = {"action": actions[0], "index": "0", ACTION_CHECKBOX_NAME: valid, "select_across": "0"}
            sweep.post(path, [*{**pairs, name: HOSTILE[kind]}.items()])
    sweep.assert_no_server_errors()


def admin_form(client: Client, model: type[models.Model], path: str) -> HtmlForm:
    page = client.get(path)
    assert page.status_code == 200, f"{path} answered {page.status_code}"
    (form,) = [form for form in forms_in(page.content.decode()) if form.id == f"{model._meta.model_name}_form"]
    return form


def admin_form_pages(model: type[models.Model], user) -> list[str]:
    """The add page if staff may add, the change page of the model's first row, the user's password form."""
    request = RequestFactory().get("/")
    request.user = user
    obj = model._default_manager.order_by("pk").first()
    pages = [admin_url(model, "add")] if admin.site._registry[model].has_add_permission(request) else []
    if obj is not None:
        pages.append(admin_url(model, "change", obj.pk))
    if obj is not None and model._meta.label == "auth.User":
        pages.append(admin_url(model, "password_change", obj.pk))
    return pages


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_admin_add_and_change_forms_never_500(sweep, admin_content, staff, model):
    pages = admin_form_pages(model, staff)
    if not pages:
        pytest.skip("staff may not add one, and there is none to change")
    swept: list[list[str]] = []
    for path in pages:
        form = admin_form(sweep.client, model, path)
        # The change page's form is usually the add page's: its fields' parsing is swept there.
        sweep_form(sweep, form, path, all_at_once=form.names not in swept)
        swept.append(form.names)
    sweep.assert_no_server_errors()


def test_admin_object_addresses_never_500(sweep, admin_content, staff):
    # Each admin looks the id in its address up the same way (get_object), by
    # its own primary key: every id on the change page, the likeliest on the others.
    for model in REGISTERED:
        for view, ids in (("change", HOSTILE_IDS), ("history", HOSTILE_IDS[:3]), ("delete", HOSTILE_IDS[:3])):
            address = admin_url(model, view, "OBJECT")
            for value in ids:
                sweep.get(address.replace("OBJECT", value))
    for value in HOSTILE_IDS:  # "view on site": a content type and an object id
        sweep.get(f"/admin/r/{value}/{value}/")
    sweep.assert_no_server_errors()


def relations() -> list[tuple[type[models.Model], str]]:
    """A (model, field) of a registered model for each registered model it can point at.

    The autocomplete view searches with the admin of the model pointed at, so
    one field per such model reaches every search there is.
    """
    found = {}
    for model in REGISTERED:
        for field in model._meta.get_fields():
            if field.is_relation and field.concrete and field.related_model in admin.site._registry:
                found.setdefault(field.related_model, (model, field.name))
    return list(found.values())


def test_admin_autocomplete_never_500(sweep, admin_content, staff):
    path = reverse("admin:autocomplete")
    for model, field_name in relations():
        base = {"app_label": model._meta.app_label, "model_name": model._meta.model_name, "field_name": field_name}
        for value in HOSTILE.values():
            sweep.get(path, [*{**base, "term": value}.items()])
    # The other parameters only choose the field, the same way for every one of them.
    for name in ("page", *base):
        for kind in ("nul", "past-64-bits", "not-a-number"):
            sweep.get(path, [*{**base, "term": "a", name: HOSTILE[kind]}.items()])
    sweep.assert_no_server_errors()


def test_every_admin_answers_malformed_input_the_project_way():
    # The sweep reads the registry; this keeps it honest about what that holds,
    # and fails for a ModelAdmin registered (by the project or an app it
    # installs) without the mixin that turns malformed input into a 4xx.
    labels = {model._meta.label for model in REGISTERED}
    assert {"articles.Article", "comments.Comment", "authors.Author", "auth.User", "auth.Group"} <= labels
    lacking = [
        model._meta.label for model in REGISTERED if not isinstance(admin.site._registry[model], StrictInputMixin)
    ]
    assert lacking == [], "put blogsite.admin_input.StrictInputMixin first in the bases of these models' admins"
