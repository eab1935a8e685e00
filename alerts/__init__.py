"""The closed loop: alert rules, alerts, tickets, SLA clocks, notifications, users.

Each domain keeps the same files (after Netflix Dispatch): `models.py` (SQLAlchemy tables),
`service.py` (keyword-only functions that read and change them), `transitions.py` (the one
status table), `flows.py` (multi-step work such as a new mention becoming an alert and an
emergency ticket), `scheduled.py` (the sweeps the scheduler runs). The HTTP views live in
`api/routes/` as the project's layout asks.

    alerts/            rules → alerts per event, review, operational alerts (models, service, flows, scheduled)
    alerts/rules/      the YAML rule file: schema, loader with line numbers, compiled evaluation
    alerts/tickets/    tickets, the transition table, SLA clocks, queries, the SLA sweep
    alerts/calendar/   the operations calendar (planned outages, works, tariffs, heating season)
    alerts/notify/     channels (WeCom, DingTalk, Feishu, e-mail, SMS gateway), delivery log, outbox
    alerts/users/      users, login tokens, API keys
    alerts/supervision/ figures per department, CSV and XLSX
    alerts/db.py, migrate.py, migrations/   SQLAlchemy 2 + Alembic (SQLite or PostgreSQL)
"""
