"""Sending the French mails: rendered from templates, over SMTP or into ``var/outbox/``."""

import os
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from jobs.metrics import MAILS
from jobs.outbox import outbox_job
from resolvers.core.french import format_date, format_days
from settings import Settings, get_settings

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates" / "mail"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)
# ``{{ "2026-12-14" | french_date }}``: « lundi 14 décembre 2026 » (jobs carry ISO dates).
_templates.filters["french_date"] = lambda day: format_date(date.fromisoformat(day))
# ``{{ ["2027-01-04", "2027-01-05"] | french_days }}``: « lundi 4, mardi 5 janvier 2027 »
# (jobs carry ISO dates; a group of days is worded on one line, month by month).
_templates.filters["french_days"] = lambda days: format_days(map(date.fromisoformat, days))


# Queued mail data outlives the code that queued it (an outbox row waits out a Redis
# outage; during a deploy a worker of one release sends what another queued): a template
# whose data changed shape reads each version listed here, dispatching on the data's
# ``version`` (none: 1); any other version is refused, and the outbox retries it later.
MAIL_DATA_VERSIONS: dict[str, tuple[int, ...]] = {"booking_confirmation": (1, 2)}


def render_mail(
    template: str,
    context: dict[str, Any],
    *,
    to: str,
    settings: Settings,
    message_id: str,
    attachments: list[tuple[str, bytes]] | None = None,
) -> EmailMessage:
    """A multipart/alternative message: plain text first, HTML second, then any PDF."""
    version = context.get("version", 1)
    if version not in MAIL_DATA_VERSIONS.get(template, (1,)):
        raise ValueError(f"{template}: mail data of unknown version {version!r}")
    text = _templates.get_template(f"{template}.txt")
    html = _templates.get_template(f"{template}.html")
    subject = "".join(text.blocks["subject"](text.new_context(context))).strip()
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    # Stable per outbox row, so a resend after a crash is recognisable as the same mail.
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text.render(context))
    message.add_alternative(html.render(context), subtype="html")
    for filename, data in attachments or []:
        message.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    return message


async def load_attachment(spec: dict[str, Any]) -> tuple[str, bytes]:
    """Attachments are described in the outbox row and rendered at send time, so the
    outbox stays small and the file is the one the download link gives."""
    if spec.get("kind") == "invoice_pdf":
        from models.billing import Invoice
        from resolvers.billing.invoice_pdf import load_document, pdf_filename, render_pdf

        invoice = await Invoice.get(id=int(spec["invoice_id"]))
        return pdf_filename(invoice), render_pdf(await load_document(invoice))
    if spec.get("kind") == "desk_receipt_pdf":
        from models.payments import DeskPayment
        from resolvers.payments.desk import load_receipt
        from resolvers.payments.desk_receipt import receipt_filename, render_receipt

        receipt = await load_receipt(await DeskPayment.get(id=int(spec["desk_payment_id"])))
        return receipt_filename(receipt), render_receipt(receipt)
    raise ValueError(f"unknown attachment {spec!r}")


async def deliver(message: EmailMessage, *, name: str, settings: Settings) -> None:
    """SMTP when configured; otherwise an .eml file, written atomically."""
    try:
        await _deliver(message, name=name, settings=settings)
    except Exception:
        MAILS.labels("failed").inc()
        raise
    MAILS.labels("sent").inc()


async def _deliver(message: EmailMessage, *, name: str, settings: Settings) -> None:
    if settings.smtp_host:
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            use_tls=settings.smtp_security == "tls",
            start_tls=settings.smtp_security == "starttls",
            # Connecting and each reply: a server that accepts and stays silent costs this
            # long, then the job is retried like a refusal.
            timeout=settings.smtp_timeout_seconds,
        )
        return
    settings.outbox_dir.mkdir(parents=True, exist_ok=True)
    target = settings.outbox_dir / f"{name}.eml"
    partial = target.with_suffix(".eml.part")
    partial.write_bytes(bytes(message))
    os.replace(partial, target)


@outbox_job
async def send_mail(
    ctx: dict[str, Any],
    *,
    outbox_id: int,
    to: str,
    template: str,
    context: dict[str, Any],
    attachments: list[dict[str, Any]] | None = None,
) -> str:
    """Render and send one mail; the outbox wrapper makes a second run a no-op."""
    settings = get_settings()
    domain = settings.mail_from.rsplit("@", 1)[-1].strip("> ")
    message = render_mail(
        template,
        context,
        to=to,
        settings=settings,
        message_id=f"<outbox-{outbox_id}@{domain}>",
        attachments=[await load_attachment(spec) for spec in attachments or []],
    )
    await deliver(message, name=f"{outbox_id:08d}-{template}", settings=settings)
    return f"sent {template} to {to}"
