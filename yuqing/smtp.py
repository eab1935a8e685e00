"""The one way the service talks SMTP: alert notices, briefings and `yuqing doctor`'s dry run
all connect, secure and log in here, and notices and briefings send through `send_message`,
whose failure reasons are safe to log and store (never the password)."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

from yuqing.settings_ops import SmtpSettings


class SmtpError(Exception):
    """Delivery failed; the message (Chinese, shown to staff) holds no credentials."""


@contextmanager
def connected(smtp: SmtpSettings, timeout: float | None = None) -> Iterator[smtplib.SMTP]:
    """A logged-in session: implicit TLS or STARTTLS as configured. smtplib errors pass through."""
    context = ssl.create_default_context()
    seconds = timeout if timeout is not None else smtp.timeout_seconds
    server = (smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=seconds, context=context) if smtp.ssl
              else smtplib.SMTP(smtp.host, smtp.port, timeout=seconds))
    with server:
        server.ehlo()
        if smtp.starttls and not smtp.ssl:
            server.starttls(context=context)
            server.ehlo()
        if smtp.username:
            server.login(smtp.username, smtp.password.get_secret_value() if smtp.password else "")
        yield server


def send_message(smtp: SmtpSettings, message: EmailMessage) -> None:
    """Deliver one message; SmtpError with a safe reason when the server or the network fails."""
    try:
        with connected(smtp) as server:
            refused = server.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise SmtpError(f"SMTP 登录失败（{exc.smtp_code}）") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise SmtpError(f"收件人全部被拒收：{', '.join(exc.recipients)}") from None
    except smtplib.SMTPResponseException as exc:
        raise SmtpError(f"SMTP {exc.smtp_code}（{type(exc).__name__}）") from None
    except TimeoutError:
        raise SmtpError("SMTP 请求超时") from None
    except smtplib.SMTPServerDisconnected as exc:  # smtplib reports a reply timeout this way
        raise SmtpError("SMTP 请求超时" if "timed out" in str(exc) else "SMTP 连接中断") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise SmtpError(f"邮件发送失败（{type(exc).__name__}）") from None
    if refused:
        raise SmtpError(f"部分收件人被拒收：{', '.join(refused)}")
