"""Send a briefing by e-mail over SMTP: the HTML page as the body (charts as inline images),
a plain-text summary for clients that show no HTML, and the DOCX attached."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from yuqing.reports.model import Briefing
from yuqing.settings_ops import SmtpSettings


class DeliveryError(Exception):
    """Sending failed; the message is safe to log and store (no credentials)."""


def build_message(*, smtp: SmtpSettings, to: list[str], briefing: Briefing, html: str, text: str,
                  images: dict[str, tuple[str, bytes]], docx: bytes | None) -> EmailMessage:
    """`html` refers to each image as `cid:<its id>`; `images` maps a name to (cid, PNG)."""
    message = EmailMessage()
    message["Subject"] = briefing.title
    message["From"] = smtp.sender
    message["To"] = ", ".join(to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="yuqing.local")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    html_part = message.get_payload()[1]
    for cid, png in images.values():
        html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>")
    if docx is not None:
        message.add_attachment(docx, maintype="application",
                               subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                               filename=f"{briefing.title}.docx")
    return message


def send(smtp: SmtpSettings, message: EmailMessage) -> None:
    """Deliver over SMTP (SSL or STARTTLS as configured); DeliveryError with a safe reason."""
    try:
        if smtp.ssl:
            server: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_seconds,
                                                    context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
        with server:
            if smtp.starttls and not smtp.ssl:
                server.starttls(context=ssl.create_default_context())
            if smtp.username:
                server.login(smtp.username, smtp.password.get_secret_value() if smtp.password else "")
            refused = server.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"SMTP 登录失败（{exc.smtp_code}）") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"收件人全部被拒收：{', '.join(exc.recipients)}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"邮件发送失败：{type(exc).__name__}: {exc}".replace(
            smtp.password.get_secret_value() if smtp.password else "\0", "***")) from None
    if refused:
        raise DeliveryError(f"部分收件人被拒收：{', '.join(refused)}")
