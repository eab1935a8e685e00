"""One function per channel kind: build the robot's message, sign it, send it.

WeCom (企业微信) and the SMS/phone gateway take a plain webhook; DingTalk signs the URL
(`timestamp` and `sign` = base64 HMAC-SHA256 of "timestamp\\nsecret" keyed by the secret);
Feishu signs the body (`sign` = base64 HMAC-SHA256 keyed by "timestamp\\nsecret" over an
empty message). E-mail goes over SMTP. Every failure becomes a `DeliveryError` whose text
never contains the URL (it embeds the robot's key) or any credential.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote_plus

import httpx

from yuqing.settings_ops import ChannelSettings, SmtpSettings
from yuqing.smtp import SmtpError, send_message


class DeliveryError(Exception):
    """A failed attempt; the message is safe to log and store."""


def _secret(value: Any) -> str:
    return value.get_secret_value() if value is not None else ""


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def webhook_request(channel: ChannelSettings, subject: str, body: str,
                    now: float | None = None) -> tuple[str, dict[str, Any]]:
    """The URL and JSON body for a robot or gateway message."""
    url = _secret(channel.url)
    now = time.time() if now is None else now
    if channel.kind == "wecom":
        return url, {"msgtype": "markdown", "markdown": {"content": f"**{subject}**\n{body}"}}
    if channel.kind == "dingtalk":
        payload = {"msgtype": "markdown", "markdown": {"title": subject, "text": f"### {subject}\n\n{body}"}}
        if channel.secret is not None:
            stamp = int(now * 1000)
            sign = quote_plus(dingtalk_sign(_secret(channel.secret), stamp))
            url = f"{url}{'&' if '?' in url else '?'}timestamp={stamp}&sign={sign}"
        return url, payload
    if channel.kind == "feishu":
        payload: dict[str, Any] = {"msg_type": "text", "content": {"text": f"{subject}\n{body}"}}
        if channel.secret is not None:
            stamp = int(now)
            payload = {"timestamp": str(stamp), "sign": feishu_sign(_secret(channel.secret), stamp), **payload}
        return url, payload
    if channel.kind == "sms":
        return url, {"phones": channel.to, "text": f"{subject}：{body}"[:500]}
    raise ValueError(f"not a webhook channel: {channel.kind}")


def _check_answer(response: httpx.Response) -> None:
    if response.status_code != 200:
        raise DeliveryError(f"HTTP {response.status_code}")
    try:
        answer = response.json()
    except ValueError:
        raise DeliveryError("应答不是 JSON") from None
    if not isinstance(answer, dict):
        return
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
    if code not in (0, "0", None):
        message = str(answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage") or "")
        raise DeliveryError(f"错误码 {code}：{message}"[:200])


def send_webhook(client: httpx.Client, channel: ChannelSettings, subject: str, body: str) -> None:
    url, payload = webhook_request(channel, subject, body)
    try:
        response = client.post(url, json=payload)
    except httpx.TimeoutException:
        raise DeliveryError("请求超时") from None
    except httpx.HTTPError as exc:
        raise DeliveryError(f"连接失败（{type(exc).__name__}）") from None
    _check_answer(response)


def send_email(smtp: SmtpSettings, to: list[str], subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = smtp.sender, ", ".join(to), subject
    message.set_content(body)
    try:
        send_message(smtp, message)
    except SmtpError as exc:
        raise DeliveryError(str(exc)) from None


def send(client: httpx.Client, smtp: SmtpSettings, channel: ChannelSettings, subject: str, body: str) -> None:
    """One attempt on one channel; DeliveryError if it failed."""
    if channel.kind == "email":
        send_email(smtp, channel.to, subject, body)
    else:
        send_webhook(client, channel, subject, body)
