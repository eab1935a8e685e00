"""The Scrapy project: one spider per source, middlewares, and the pipeline into nlp and
store. Crawls run in their own process (`yuqing crawl SOURCE`), since Twisted's reactor
cannot be restarted inside a long-running service."""

# Scrapy's own ways into a running crawl: the telnet console and (since Scrapy 2.19) a
# remote-control HTTP server that runs Python code sent to it. A crawl child of the service
# needs neither, and each would be one more listening port holding a credential.
NO_REMOTE_ACCESS = {"TELNETCONSOLE_ENABLED": False, "REMOTE_CONTROL_ENABLED": False}
