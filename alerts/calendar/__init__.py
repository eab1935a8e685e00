"""The operations calendar: planned outages, pipeline works, tariff changes, the heating season."""
