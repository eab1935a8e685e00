"""Tickets: the supervised closed loop 待派单 → 已派单 → 处理中 → 已办结 → 已回访 → 已关闭."""
