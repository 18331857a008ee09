"""Questions to the town without an account (« Poser une question »): the public form's
mutation, and the staff's list and answer."""

from datetime import datetime
from typing import Annotated

import strawberry

from gql.context import Info
from gql.errors import CommunicationError, handles_errors
from gql.ids import decode_id, encode_id
from gql.pagination import EDGES, Edge, PageInfo, after_pk, connection_fields, page_size
from models.requests import TownQuestion as TownQuestionModel
from resolvers.requests import questions


@strawberry.type(description="A question asked of the town by a visitor without an account.")
class TownQuestion:
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    name: str = strawberry.field(description="Who asked, as typed.")
    email: str = strawberry.field(description="Where the answer is mailed.")
    subject: str = strawberry.field(description="The question's subject.")
    message: str = strawberry.field(description="The question.")
    created_at: datetime = strawberry.field(description="Asked at (UTC).")
    answer: str | None = strawberry.field(description="The answer mailed, once answered.")
    answered_at: datetime | None = strawberry.field(description="Answered at (UTC).")

    @classmethod
    def from_model(cls, row: TownQuestionModel) -> "TownQuestion":
        return cls(
            id=strawberry.ID(encode_id("TownQuestion", row.id)),
            name=row.name,
            email=row.email,
            subject=row.subject,
            message=row.message,
            created_at=row.created_at,
            answer=row.answer,
            answered_at=row.answered_at,
        )


@strawberry.type(description="A page of the town's questions, newest first.")
class TownQuestionConnection:
    nodes: list[TownQuestion] = strawberry.field(description="The questions of this page.")
    edges: list[Edge[TownQuestion]] = strawberry.field(description=EDGES)
    page_info: PageInfo = strawberry.field(description="How to get the next page.")
    total_count: int = strawberry.field(description="Questions matching, all pages.")


@strawberry.type(description="Result of `askTownQuestion`.")
class AskTownQuestionPayload:
    accepted: bool = strawberry.field(
        default=False,
        description="True: the question is kept and an acknowledgement mailed to its sender.",
    )
    errors: list[CommunicationError] = strawberry.field(
        default_factory=list, description="Why it was refused."
    )


@strawberry.type(description="Result of `answerTownQuestion`.")
class AnswerTownQuestionPayload:
    question: TownQuestion | None = strawberry.field(
        default=None, description="The question, with its answer."
    )
    errors: list[CommunicationError] = strawberry.field(
        default_factory=list, description="Why it was refused."
    )


@strawberry.type
class QuestionQueries:
    @strawberry.field(
        description="Staff: the questions visitors asked the town (« Poser une question »), "
        "newest first."
    )
    async def town_questions(
        self,
        info: Info,
        answered: Annotated[
            bool | None,
            strawberry.argument(
                description="False: those still waiting for an answer; true: answered; "
                "null (default): all."
            ),
        ] = None,
        first: Annotated[
            int | None, strawberry.argument(description="Page size (default 20, at most 100).")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="`endCursor` of the previous page.")
        ] = None,
    ) -> TownQuestionConnection:
        page = await questions.town_questions(
            info.context.account,
            answered=answered,
            first=page_size(first),
            after_id=after_pk(after),
        )
        return TownQuestionConnection(
            **connection_fields(
                [TownQuestion.from_model(row) for row in page.items],
                [row.id for row in page.items],
                page.has_next,
                after,
            ),
            total_count=page.total,
        )


@strawberry.type
class QuestionMutations:
    @strawberry.mutation(
        description="Anyone, without an account: ask the town a question (« Poser une "
        "question »). The question is kept and its sender mailed an acknowledgement; staff "
        "answer by mail. Guarded: `website` must stay empty (a field hidden to people), and "
        "a client address or an e-mail asking too often is refused (RATE_LIMITED)."
    )
    @handles_errors()
    async def ask_town_question(
        self,
        info: Info,
        town: Annotated[str, strawberry.argument(description="The town's slug.")],
        name: Annotated[
            str,
            strawberry.argument(description=f"Your name ({questions.MAX_NAME} characters)."),
        ],
        email: Annotated[str, strawberry.argument(description="Where the answer is mailed.")],
        subject: Annotated[
            str,
            strawberry.argument(description=f"Subject ({questions.MAX_SUBJECT} characters)."),
        ],
        message: Annotated[
            str,
            strawberry.argument(
                description=f"The question ({questions.MAX_MESSAGE} characters at most)."
            ),
        ],
        website: Annotated[
            str,
            strawberry.argument(
                description="Anti-abuse field: leave empty (forms hide it from people)."
            ),
        ] = "",
    ) -> AskTownQuestionPayload:
        await questions.ask_question(
            questions.QuestionForm(town, name, email, subject, message, website),
            client_address=info.context.client_address,
            redis=info.context.redis,
            clock=info.context.clock,
        )
        return AskTownQuestionPayload(accepted=True)

    @strawberry.mutation(
        description="Staff: answer a visitor's question once; the answer is mailed to them "
        "and audited."
    )
    @handles_errors()
    async def answer_town_question(
        self,
        info: Info,
        question_id: Annotated[strawberry.ID, strawberry.argument(description="The question.")],
        answer: Annotated[
            str,
            strawberry.argument(description=f"The answer ({questions.MAX_ANSWER} characters)."),
        ],
    ) -> AnswerTownQuestionPayload:
        row = await questions.answer_question(
            info.context.account,
            decode_id(question_id, "TownQuestion", field="questionId"),
            answer,
            clock=info.context.clock,
        )
        return AnswerTownQuestionPayload(question=TownQuestion.from_model(row))
