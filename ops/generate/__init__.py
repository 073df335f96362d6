"""Synthetic casework data: trusts, schools, people, role grants, two years of incidents, and
image and video consent.

What it makes (defaults; every choice comes from ``random.Random`` streams seeded with ``--seed``,
one for the plan, one per trust's directory, and one per school for its incidents and another for
its consent, so a run with the same options makes the same records, all but their ids, which the
commands draw, however many processes share the work):

- ~20 trusts of ~10 schools (``--schools 200``): primaries (Reception to Year 6) and secondaries
  (Years 7 to 11, some with a sixth form), ~300 pupils each with dates of birth that fit their
  year group, ~30 staff of every ``StaffRole`` kind, parents and carers in families (siblings
  share them; mothers, fathers, step-parents, grandparents, foster carers, with or without
  parental responsibility), a few leavers;
- role grants as a trust would make them: the operator grants the trust safeguarding lead and
  DPO, who registers the schools and grants each headteacher, who grants the DSL, deputy DSL,
  data lead and the staff reporters; staff with a login are linked to their staff record;
- pupil online-safety incidents from September two academic years ago until now, weighted like
  a real school's log (cyberbullying most common, then inappropriate content, filtering
  breaches, under-age social media, inappropriate contact, online references; nudes sharing,
  radicalisation and illegal content rare), on WhatsApp, Snapchat, TikTok, Instagram, Roblox,
  Discord, YouTube and others, each naming 1 to 3 pupils (harmed, alleged, witness; a few pupils
  and friendship groups come up again and again, so pattern flags have something to find), at
  school or in the evening, reported the same day or the next school day; most triaged by the
  DSL or deputy, most with 1 to 3 actions (some planned follow-ups, a few now overdue), most
  closed with lessons learnt; recent ones still open or awaiting triage, a few long stuck; some
  with evidence files (never imagery on a nudes incident), linked to an earlier incident, or
  reopened; a few about a member of staff's conduct, handled by the headteacher;
- image and video consent (on top of ``--events``, about half as many again; ``--no-consent``
  leaves it out, and everything else is the same either way): for ~9 in 10 pupils a consent form
  from a parent or carer with parental responsibility (or from the pupil, after a competence
  assessment says they can; some older secondary pupils) received when they joined or at the
  start of the period, granting most media and channels and refusing some (press most often,
  then the prospectus and the trust's social media); a few amendments and withdrawals later, a
  second parent's form now and then, the data lead's yearly confirmations; the school's social
  media channel (half the schools also their website) with one or two staff authorised to post,
  posts of groups from a year group with consent at the time (a few pseudonymised), and the
  takedowns withdrawals and narrowing amendments queue, most then done.

How: only through the applications' commands (``domain/<feature>/commands.py``), each run by
the application's handler (``ops.generate.commands.run``) inside ``acting_as(...)`` of the user
who would do it (the operator provisions trusts, the trust's safeguarding lead registers schools,
the school's data lead registers pupils and records consent forms, its DSL triages, a poster
records their posts, ...), so every record is one the commands accept: authorised, validated and
sealed as in service, one transaction per command. The generator never builds an aggregate nor
writes a row, so it cannot drift from the rules. Nothing goes through GraphQL.

Time is a simulated clock: every command runs under ``domain.shared.clock.running_at`` at the
moment it happens in the history, so its checks ("not in the future", "on roll then", "this
academic year") and its events' timestamps read true (chronologies, the roles a user held at the
time, triage delays); ``--real-time`` keeps the wall clock (then what the commands accept only
as history, such as confirming an earlier academic year, is not made).

Record ids come from the commands, so two runs with the same options make the same data set
except for its ids. The work is shared between worker processes (``--workers``): see
``ops.generate.runner``.

Afterwards every read model is caught up (``container.workers()``, ``catch_up()``), timed, and
the database is analysed (``ANALYZE``), so that the planner knows the tables are no longer empty.

    python -m ops.generate --schools 200 --database-url postgresql://USER@HOST:5432/casework
    python -m ops.generate --schools 20 --events 50000 --sample-file sample.json

Without ``--database-url`` it uses the service's own settings (``CASEWORK_DATABASE_URL``, else the
embedded server in ``CASEWORK_DATA_DIR``), so ``casework serve`` then serves what it made. The
development keys come from the same data directory. Generating twice into one database with the
same seed is refused.
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from api.wiring import Container
from ops.generate.options import Generated, Options, SchoolSample
from ops.generate.runner import (
    AlreadyGenerated,
    already_generated,
    analyze,
    catch_up,
    generate_into,
)

__all__ = [
    "AlreadyGenerated",
    "Generated",
    "Options",
    "SchoolSample",
    "already_generated",
    "analyze",
    "catch_up",
    "generate",
    "main",
]


def generate(
    container: Container, options: Options | None = None, *, show_progress: bool = True
) -> Generated:
    """Generate the data set into ``container``'s event store (no catch-up: see
    :func:`catch_up`). Refuses a database that already holds this seed's first school."""
    options = options or Options()
    started = time.perf_counter()
    console = Console(stderr=False)
    interactive = show_progress and console.is_terminal
    if interactive:
        bar = Progress(
            TextColumn("generating"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("schools, {task.fields[events]:,} events"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
        )
        task = bar.add_task("schools", total=options.schools, events=0)
        bar.start()

        def progress(done: int, events: int) -> None:
            bar.update(task, completed=done, events=events)

    else:
        step = max(1, options.schools // 10)
        shown = {-1}

        def progress(done: int, events: int) -> None:
            due = done % step == 0 or done == options.schools
            if show_progress and due and done not in shown:
                shown.add(done)
                elapsed = time.perf_counter() - started
                what = "directories" if done == 0 else f"{done}/{options.schools} schools"
                print(
                    f"generated {what}, {events:,} events "
                    f"({elapsed:.0f} s, {events / elapsed:,.0f} events/s)",
                    flush=True,
                )

    try:
        return generate_into(container, options, progress)
    finally:
        if interactive:
            bar.stop()


def main(argv: list[str] | None = None) -> int:
    from ops.generate.cli import main as cli

    return cli(argv)
