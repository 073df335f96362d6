"""The consent queries: answers, the register, the posting check, the takedown queue, the
channel register and the publication log. Each authenticates, reads, and maps."""

import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.graphql.common import (
    Connection,
    ReadYourWrites,
    connection,
    existing,
    from_rows,
    optional_uuid,
    page_args,
    parse_id,
    to_id,
)
from api.graphql.consent.types import (
    ConsentAnswer,
    ConsentRegisterEntry,
    OfficialChannel,
    PostingCheck,
    PublicationEntry,
    TakedownItem,
    open_decisions,
)
from api.graphql.context import Context
from api.graphql.enums import ConsentChannel, Medium
from domain.consent.rules import check_posting_check_size, posting_check_detailed
from domain.shared import clock
from domain.shared.calendar import academic_year_of, academic_year_starts, london_today
from domain.shared.errors import NotAuthorised, NotFound, ValidationFailed
from domain.shared.policy import Action, Target
from projections.consent import publications, queries

CONSENT = "consent"


def _instant(field: str, value: datetime.datetime | None) -> datetime.datetime:
    if value is None:
        return clock.now()
    if value.tzinfo is None:
        raise ValidationFailed(field, "must include a time zone offset")
    return value.astimezone(datetime.UTC)


def _school(ctx: Context, school_id: strawberry.ID, action: Action) -> Target:
    school = parse_id("schoolId", school_id)
    try:
        target = ctx.container.app.school_target(school)
    except NotFound:
        raise NotAuthorised() from None
    ctx.authorise(action, target)
    return target


# The ``media`` argument of the posting check: one medium.
MediumArgument = Annotated[Medium, strawberry.argument(description="The medium: PHOTO or VIDEO.")]
OneMedium = Annotated[
    Medium | None,
    strawberry.argument(description="The medium: PHOTO or VIDEO (give this or `media`)."),
]
DeprecatedMedia = Annotated[
    Medium | None,
    strawberry.argument(
        description="The medium, under its first, plural name.",
        deprecation_reason="Use `medium`: it takes one medium, as this always did.",
    ),
]


def one_medium(medium: Medium | None, media: Medium | None) -> Medium:
    """The medium asked about, given as ``medium`` or as the deprecated ``media``: exactly one."""
    if medium is not None and media is not None:
        raise ValidationFailed("medium", "give `medium` or the deprecated `media`, not both")
    chosen = medium if medium is not None else media
    if chosen is None:
        raise ValidationFailed("medium", "is required (PHOTO or VIDEO)")
    return chosen


@strawberry.type
class ConsentQuery:
    @strawberry.field(
        description="Granted, refused, withdrawn, lapsed or no record for one pupil, medium and "
        "channel at an instant (default now), naming the decision that settles it (data lead, "
        "DSLs, headteacher).",
        extensions=[ReadYourWrites(CONSENT)],
    )
    def consent_status(
        self,
        info: Info[Context, None],
        pupil_id: strawberry.ID,
        channel: ConsentChannel,
        medium: OneMedium = None,
        media: DeprecatedMedia = None,
        at: datetime.datetime | None = None,
    ) -> ConsentAnswer:
        ctx = info.context
        pid = parse_id("pupilId", pupil_id)
        asked = one_medium(medium, media)
        instant = _instant("at", at)
        answers = queries.answers(ctx.conn, [pid], asked.value, channel.value, instant)
        found = existing(answers.get(pid), "Pupil", pid)
        ctx.authorise(
            Action.VIEW_CONSENT, Target(found.trust_id, found.school_id, frozenset({pid}))
        )
        return ConsentAnswer.from_row(found.judged, open_decisions(ctx, [found.judged]))

    @strawberry.field(
        description="The school's consent register: each pupil on roll at `at` (default now) "
        "with every medium and channel as at that instant. `gapsOnly`: just the pupils with no "
        "record, or none for `academicYear` (default the current one, e.g. 2026/27). Each "
        "pupil listed is written to the access log.",
        extensions=[ReadYourWrites(CONSENT)],
    )
    def consent_register(
        self,
        info: Info[Context, None],
        school_id: strawberry.ID,
        at: datetime.datetime | None = None,
        academic_year: str | None = None,
        gaps_only: bool = False,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[ConsentRegisterEntry]:
        ctx = info.context
        target = _school(ctx, school_id, Action.VIEW_CONSENT)
        instant = _instant("at", at)
        year = academic_year or academic_year_of(london_today())
        starts = academic_year_starts(year)
        page = queries.register(
            ctx.conn,
            target.school_id,  # type: ignore[arg-type]
            instant,
            *page_args(first, after),
            (year, starts) if gaps_only else None,
        )
        lapses = {p.pupil_id: p.lapse for p in page.items}
        judged = queries.judge(lapses, queries.standing(ctx.conn, list(lapses), instant), instant)
        for p in page.items:  # each line names a pupil: a read of their record
            ctx.log_read("consent_register", "pupil", p.pupil_id, target)
        opened = open_decisions(ctx, (j for answers in judged.values() for j in answers))
        entries = [
            ConsentRegisterEntry.from_row(p, judged[p.pupil_id], opened, instant, year)
            for p in page.items
        ]
        return connection(page, entries)

    @strawberry.field(
        description="Before posting: for a channel, a medium and the pupils in the image, who "
        "may appear identifiably at `at` (default now). Staff authorised on the channel see yes "
        "or no per pupil; the data lead, DSLs and headteacher also see why.",
        extensions=[ReadYourWrites(CONSENT)],
    )
    def posting_check(
        self,
        info: Info[Context, None],
        channel_id: strawberry.ID,
        media: MediumArgument,
        pupil_ids: list[strawberry.ID],
        at: datetime.datetime | None = None,
    ) -> PostingCheck:
        ctx = info.context
        check_posting_check_size(len(pupil_ids))
        ids = list(dict.fromkeys(parse_id("pupilIds", p) for p in pupil_ids))
        instant = _instant("at", at)
        channel, pupils = ctx.container.posting_cache.read(
            lambda: ctx.conn,
            parse_id("channelId", channel_id),
            ctx.identity.user_id,
            ids,
            media.value,
            fresh=ctx.fresh,
            user_id_ix=ctx.login_ix,
        )
        if channel is None:
            raise NotFound("Channel", channel_id)
        found = queries.posting_check(channel, pupils, media.value, instant)
        target = Target(found.trust_id, found.school_id, frozenset(ids))
        # the school's data lead, DSLs and head see why; a poster sees yes or no
        detailed = posting_check_detailed(
            ctx.principal, target, found.callers_authorisations, clock.now()
        )
        judged = []
        for pid in ids:
            pupil = found.answers.get(pid)
            if pupil is None or pupil.school_id != found.school_id:
                raise NotFound("Pupil", pid)
            judged.append((to_id(pid), pupil.judged))
        return PostingCheck(
            channel_id=to_id(found.channel_id),
            channel=ConsentChannel(found.kind),
            medium=media,
            at=instant,
            judged=judged,
            detailed=detailed,
        )

    @strawberry.field(
        description="Publications to take down after a withdrawal (data lead, DSLs, "
        "headteacher); open items only unless `includeClosed`.",
        extensions=[ReadYourWrites(CONSENT)],
    )
    def takedown_queue(
        self,
        info: Info[Context, None],
        school_id: strawberry.ID,
        include_closed: bool = False,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[TakedownItem]:
        ctx = info.context
        target = _school(ctx, school_id, Action.VIEW_CONSENT)
        page = publications.takedowns(
            ctx.conn,
            target.school_id,  # type: ignore[arg-type]
            include_closed,
            *page_args(first, after),
        )
        return connection(page, from_rows(ctx, page.items, TakedownItem.from_row))

    @strawberry.field(
        description="The school's register of official channels (data lead, DSLs, headteacher).",
        extensions=[ReadYourWrites(CONSENT)],
    )
    def channels(
        self, info: Info[Context, None], school_id: strawberry.ID
    ) -> list[OfficialChannel]:
        ctx = info.context
        target = _school(ctx, school_id, Action.VIEW_CONSENT)
        rows = publications.channels(ctx.conn, target.school_id)  # type: ignore[arg-type]
        return from_rows(ctx, rows, OfficialChannel.from_row)

    @strawberry.field(
        description="The publication log, newest last (data lead, DSLs, headteacher); filter by "
        "channel or by a pupil featured.",
        extensions=[ReadYourWrites(CONSENT)],
    )
    def publications(
        self,
        info: Info[Context, None],
        school_id: strawberry.ID,
        channel_id: strawberry.ID | None = None,
        pupil_id: strawberry.ID | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[PublicationEntry]:
        ctx = info.context
        target = _school(ctx, school_id, Action.VIEW_CONSENT)
        page = publications.publications(
            ctx.conn,
            target.school_id,  # type: ignore[arg-type]
            optional_uuid("channelId", channel_id),
            optional_uuid("pupilId", pupil_id),
            *page_args(first, after),
        )
        return connection(page, from_rows(ctx, page.items, PublicationEntry.from_row))
