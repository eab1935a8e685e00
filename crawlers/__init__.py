"""The Scrapy project: one spider per source, middlewares, and the pipeline into nlp and
store. Crawls run in their own process (`yuqing crawl SOURCE`), since Twisted's reactor
cannot be restarted inside a long-running service."""
