"""Questions to the town without an account (« Poser une question »): a public form, so it
is guarded against abuse without asking anyone to sign in:

- a honeypot field, hidden to people and filled by form-spamming robots: such a question
  is answered as accepted and dropped (a robot learns nothing to adapt to);
- at most so many questions per client address and per e-mail over a window
  (``rate_limit``, in Redis);
- lengths limited and every text required where it matters (NUL and invalid UTF-8 are
  refused at the GraphQL edge, and again here for other callers).

An accepted question is stored first, with the acknowledgement mail queued in the same
transaction; staff list the town's questions and answer each once, by mail, audited.
"""

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from models.accounts import Account
from models.requests import TownQuestion
from models.tenants import Tenant
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import CommunicationErrorCode, DomainError, NotFound, ValidationErrors
from resolvers.core.french import format_time
from resolvers.core.outbox import queue_mail
from resolvers.core.rate_limit import Limit, hit
from resolvers.core.roles import require_staff
from resolvers.core.transactions import atomic
from settings import get_settings

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_NAME = 100
MAX_EMAIL = 254
MAX_SUBJECT = 150
MAX_MESSAGE = 3000
MAX_ANSWER = 5000
_INVALID_TEXT = re.compile("[\x00\ud800-\udfff]")


@dataclass
class QuestionForm:
    """What the public form sends; ``website`` is the honeypot, left empty by people."""

    town: str
    name: str
    email: str
    subject: str
    message: str
    website: str = ""


@dataclass
class QuestionPage:
    items: list[TownQuestion]
    has_next: bool
    total: int


def _problems(form: QuestionForm) -> list[DomainError]:
    problems: list[DomainError] = []
    fields = (
        ("name", form.name, MAX_NAME, "votre nom"),
        ("email", form.email, MAX_EMAIL, "votre adresse e-mail"),
        ("subject", form.subject, MAX_SUBJECT, "l'objet de votre question"),
        ("message", form.message, MAX_MESSAGE, "votre question"),
    )
    for field, value, limit, label in fields:
        if _INVALID_TEXT.search(value):
            problems.append(
                DomainError(
                    CommunicationErrorCode.INVALID,
                    "Ce texte contient un caractère interdit : retapez-le.",
                    field,
                )
            )
        elif not value.strip():
            problems.append(
                DomainError(CommunicationErrorCode.REQUIRED, f"Indiquez {label}.", field)
            )
        elif len(value.strip()) > limit:
            problems.append(
                DomainError(
                    CommunicationErrorCode.INVALID,
                    f"Ce texte dépasse {limit} caractères ({len(value.strip())}).",
                    field,
                )
            )
    if form.email.strip() and not any(p.field == "email" for p in problems):
        if not EMAIL.match(form.email.strip()):
            problems.append(
                DomainError(
                    CommunicationErrorCode.INVALID,
                    "L'adresse e-mail n'est pas valide : la réponse vous sera envoyée à "
                    "cette adresse.",
                    "email",
                )
            )
    return problems


async def ask_question(
    form: QuestionForm, *, client_address: str, redis: Any, clock: Clock
) -> TownQuestion | None:
    """A visitor's question: checked, counted, stored, acknowledged by mail. None when the
    honeypot was filled (answered as accepted, nothing kept)."""
    tenant = await Tenant.get_or_none(slug=form.town.strip())
    if tenant is None:
        raise NotFound("Commune", "town")
    problems = _problems(form)
    if problems:
        raise ValidationErrors(problems)
    if form.website.strip():
        return None
    email = form.email.strip().lower()
    settings = get_settings()
    window = timedelta(minutes=settings.question_window_minutes)
    for limit, key in (
        (Limit("question-address", settings.question_max_per_address, window), client_address),
        (Limit("question-email", settings.question_max_per_email, window), email),
    ):
        retry_at = await hit(redis, limit, f"{tenant.slug}:{key}", clock=clock)
        if retry_at is not None:
            raise DomainError(
                CommunicationErrorCode.RATE_LIMITED,
                "Vous avez envoyé plusieurs questions en peu de temps : réessayez à partir de "
                f"{format_time(retry_at, tenant.timezone)}, ou écrivez à la mairie.",
            )
    async with atomic():
        question = await TownQuestion.create(
            tenant=tenant,
            name=form.name.strip(),
            email=email,
            subject=form.subject.strip(),
            message=form.message.strip(),
            created_at=clock.now(),
        )
        await queue_mail(
            email,
            "question_received",
            {
                "town": tenant.name,
                "name": question.name,
                "subject": question.subject,
                "message": question.message,
            },
            clock=clock,
        )
    return question


async def town_questions(
    actor: Account | None, *, answered: bool | None, first: int, after_id: int | None
) -> QuestionPage:
    """Staff: the town's questions, newest first; ``answered`` False: those still waiting.

    Roles: AGENT
    """
    staff = require_staff(actor)
    query = TownQuestion.filter(tenant_id=staff.tenant_id)
    if answered is not None:
        query = query.filter(answered_at__isnull=not answered)
    total = await query.count()
    if after_id is not None:
        query = query.filter(id__lt=after_id)
    rows = await query.order_by("-id").limit(first + 1)
    return QuestionPage(rows[:first], len(rows) > first, total)


async def answer_question(
    actor: Account | None, question_id: int, answer: str, *, clock: Clock
) -> TownQuestion:
    """Staff answer a question once: mailed to who asked, kept with it, audited.

    Roles: AGENT
    """
    staff = require_staff(actor)
    answer = answer.strip()
    if not answer:
        raise DomainError(CommunicationErrorCode.REQUIRED, "Écrivez la réponse.", "answer")
    if len(answer) > MAX_ANSWER:
        raise DomainError(
            CommunicationErrorCode.INVALID,
            f"La réponse dépasse {MAX_ANSWER} caractères.",
            "answer",
        )
    async with atomic():
        # Two agents answering at once: the second waits, then finds it answered.
        rows = await TownQuestion.filter(
            id=question_id, tenant_id=staff.tenant_id
        ).select_for_update()
        if not rows:
            raise NotFound("Question", "questionId")
        question = rows[0]
        if question.answered_at is not None:
            raise DomainError(
                CommunicationErrorCode.INVALID,
                "Cette question a déjà reçu une réponse.",
                "questionId",
            )
        question.answer = answer
        question.answered_at = clock.now()
        question.answered_by_id = staff.id
        await question.save(update_fields=["answer", "answered_at", "answered_by_id"])
        tenant = await Tenant.get(id=staff.tenant_id)
        await queue_mail(
            question.email,
            "question_answer",
            {
                "town": tenant.name,
                "name": question.name,
                "subject": question.subject,
                "message": question.message,
                "answer": answer,
            },
            clock=clock,
        )
        await audit.record(
            "question.answer",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="town_question",
            target_id=question.id,
            clock=clock,
        )
    return question
