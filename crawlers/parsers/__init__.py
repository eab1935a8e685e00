"""Pure parsers: platform responses (text or JSON) in, `Mention`s or plain values out.

Spiders do the requests and the flow; these functions hold the knowledge of each
platform's format, so they are tested and benchmarked on their own.
"""
