from django import template

from articles.markdown import render_comment, render_markdown

register = template.Library()
register.filter("markdown", render_markdown, is_safe=True)
register.filter("comment_markdown", render_comment, is_safe=True)
