SITEMAPS: dict = {}  # placeholder until this module is written
