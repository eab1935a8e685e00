"""Daily and weekly 舆情简报: figures gathered from the mention index and the site-check
store (`build.py`), charts drawn without a browser (`chart.py`), HTML and DOCX (`html.py`,
`docx.py`), kept in the data directory (`store.py`), sent over SMTP (`mail.py`); `service.py`
ties them together for the CLI, the scheduler and the API. Alerts and tickets join through
the extension point in `extensions.py`."""
