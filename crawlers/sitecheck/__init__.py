"""Health checks of the utility's own channels: its web site, WeChat account pages, online
service endpoints and downloads (the checker), and the crawl of its own site for broken
links (the spider in `crawlers/spiders/sitecrawl.py`). Results, incidents and crawl
findings are kept in this package's own store (`store.py`).

Entry points: `service.run_site_checks()`, `crawl.run_site_crawl()`, `service.overview()`.
"""
