"""The demo site that ``manage.py seed_demo`` creates.

``content`` holds what it contains (its articles are the Markdown files in
``articles/``), ``seed`` writes it through the services, ``covers`` draws
the cover images and ``totals`` sums up the site for the command's report.
"""
