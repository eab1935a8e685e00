"""Kibana 8 saved objects for the mention index (`objects.py`, `saved_objects.ndjson`) and their
importer (`importer.py`, behind `yuqing kibana import`)."""
