"""Send a briefing by e-mail over SMTP: the HTML page as the body (charts as inline images),
a plain-text summary for clients that show no HTML, and the DOCX attached."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from yuqing.reports.model import Briefing
from yuqing.settings_ops import SmtpSettings
from yuqing.smtp import SmtpError, send_message


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
        send_message(smtp, message)
    except SmtpError as exc:
        raise DeliveryError(str(exc)) from None
