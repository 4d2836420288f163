"""``{% article_preview_tags article %}`` and ``{% listing_link_tags page_obj %}`` for a page's <head>."""

from django import template

from articles import link_previews

register = template.Library()


@register.simple_tag
def article_preview_tags(article):
    return link_previews.article_preview_tags(article)


@register.simple_tag(takes_context=True)
def listing_link_tags(context, page=None):
    return link_previews.listing_link_tags(context["request"].path, page)
