"""Users, roles, login tokens and API keys (used by `api.security` and `yuqing users`)."""
