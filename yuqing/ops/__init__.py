"""Running the service for real: `yuqing doctor`, backups and restores, the run lock, and the
disk-space guard of ingest. Wiring modules: they may use every stage."""
