"""Notifications: WeCom, DingTalk and Feishu group robots, e-mail, and an SMS/phone gateway."""
