"""Consent benchmark (issue 5): ``consentStatus`` and the posting check on a realistic data set.

One run, one machine, one PostgreSQL server: a database ``casework_bench_<random>`` is created
for the run and dropped when it ends, however it ends. The phases:

generation  ``ops/generate`` with its defaults: 200 schools in ~20 trusts and at least
            500,000 events of people, role grants and two years of incidents, and on top of them
            (about half as many again) each school's image and video consent: a form for most
            pupils from a parent or carer with parental responsibility (or the pupil, once
            assessed competent), press and the prospectus the most often refused; amendments,
            withdrawals, yearly confirmations; one or two official channels with authorised
            posters; posts featuring pupils with consent, and the takedowns withdrawals queue.
            The views are then caught up and ANALYZE run (``--no-analyze``: not), each timed.
(b0)  ``{ __typename }`` over real HTTP: the cost of the door alone.
(c1)  ``consentStatus(pupilId, medium, channel, at)`` selecting the status, ``mayPublish`` and
      the deciding decision, for random pupils on roll at a typical school (the median by
      incidents), a random medium and channel, and ``at`` either omitted (now) or a random
      instant since the data set began; as the school's data lead.
(c2)  ``postingCheck(channelId, medium, pupilIds)`` for the school's social media channel with
      30 random pupils on roll and a random medium, ``at`` omitted (now: the check before a
      post), as a member of staff authorised to post on it, selecting what a posting app
      needs: ``everyoneMayAppear``, ``mayAppear`` and ``mayNotAppear`` (every pupil's yes or no,
      as two lists of ids).
(c3)  the same checks, the same poster, selecting a line per pupil instead
      (``pupils { pupilId mayAppear }``): the same answers, 30 objects for the executor.
(c4)  the same checks as the data lead, who also sees each pupil's full answer (``detail``).
(c5)  the (c2) checks given ``minPosition: 1``: a check that must read the view itself rather than
      what the process keeps between requests (``api/consent_cache.py``), as after the caller's
      own write; it also reads the views' positions, once.

The clients check one school's pupils again and again, so from the first checks on, (c2) to (c4)
find the channel and the pupils' decisions kept in the process (nothing changes them during a
round); (c5) shows what a check costs that reads them.

Before the rounds the answers are checked end to end: for the school's pupils the HTTP answers
must equal the domain's own rule on the consent records in the event store; the poster must get
no ``detail`` (and be refused ``consentStatus``), the data lead must get it, and both must get
the same yes or no. Any difference aborts the benchmark.

How it loads: the app as ``casework serve`` runs it (uvicorn; projection workers in a child
process), and 8 keep-alive clients (``--clients``) in a process of their own, with tokens from
``issue_dev_token``. Each response is checked (no errors; a known status for (c1); an answer for
each of the 30 pupils for (c2), (c3) and (c4)); one failure ends the run with exit status 1. A
round runs (b0) to (c4) in turn once the views have caught up; the figures are medians over
``--rounds`` (2) rounds, because the machine is small and shared.

Targets, each printed as met or NOT MET:
    (c1) p95 / (b0) p95   <= 2.0
    (c2) p95 / (b0) p95   <= 2.0
    (c3) p95 / (b0) p95   informational
    (c4) p95 / (b0) p95   informational
    (c5) p95 / (b0) p95   informational

``--explain``: afterwards, EXPLAIN (ANALYZE, BUFFERS) of each statement (c1) and (c2) issue,
captured from the query functions in ``projections/consent/queries.py``, on the generated data.

Usage, from the repository root (``--help`` lists every option):

    python ops/bench/consent_bench.py --database-url postgresql://USER@HOST:5432/postgres
    python ops/bench/consent_bench.py --schools 20 --events 50000 --requests 100 --rounds 1

With neither ``--database-url`` nor ``CASEWORK_BENCH_DATABASE_URL`` set, an embedded PostgreSQL
runs in a temporary directory. The final line of output is a single JSON object of every figure.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

if __package__ in (None, ""):  # run as a script: make the project importable from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from api.auth import issue_dev_token
from api.wiring import Container
from domain.consent.aggregates import ConsentRecord, consent_record_id
from domain.consent.model import ConsentChannel, ConsentStatus, Medium
from domain.consent.record_handlers import lapse_of
from domain.directory.aggregates import Pupil
from domain.shared.calendar import LONDON, academic_year_start, london_today
from ops.bench import common
from ops.generate import Generated, Options, SchoolSample
from projections.consent import publications, queries

TYPENAME_QUERY = "{ __typename }"
STATUS_QUERY = (
    "query($p: ID!, $m: Medium!, $c: ConsentChannel!, $at: DateTime) { "
    "consentStatus(pupilId: $p, medium: $m, channel: $c, at: $at) { pupilId status mayPublish "
    "lapsedOn decidedBy { event decision effectiveAt givenBy reference } } }"
)
POSTER_CHECK_QUERY = (
    "query($c: ID!, $m: Medium!, $ps: [ID!]!, $at: DateTime) { "
    "postingCheck(channelId: $c, media: $m, pupilIds: $ps, at: $at) { "
    "channel medium everyoneMayAppear mayAppear mayNotAppear } }"
)
POSTER_FRESH_QUERY = (
    "query($c: ID!, $m: Medium!, $ps: [ID!]!, $at: DateTime) { "
    "postingCheck(channelId: $c, media: $m, pupilIds: $ps, at: $at, minPosition: 1) { "
    "channel medium everyoneMayAppear mayAppear mayNotAppear } }"
)
POSTER_LINES_QUERY = (
    "query($c: ID!, $m: Medium!, $ps: [ID!]!, $at: DateTime) { "
    "postingCheck(channelId: $c, media: $m, pupilIds: $ps, at: $at) { "
    "channel medium everyoneMayAppear pupils { pupilId mayAppear } } }"
)
LEAD_CHECK_QUERY = (
    "query($c: ID!, $m: Medium!, $ps: [ID!]!, $at: DateTime) { "
    "postingCheck(channelId: $c, media: $m, pupilIds: $ps, at: $at) { "
    "channel medium everyoneMayAppear pupils { pupilId mayAppear detail { status mayPublish "
    "lapsedOn decidedBy { event decision effectiveAt givenBy reference } } } } }"
)
DETAIL_QUERY = (  # the preflight: the poster must get no detail, the data lead must
    "query($c: ID!, $m: Medium!, $ps: [ID!]!, $at: DateTime) { "
    "postingCheck(channelId: $c, media: $m, pupilIds: $ps, at: $at) { "
    "mayAppear mayNotAppear pupils { pupilId mayAppear detail { status } } } }"
)
PHASES = ("b0", "c1", "c2", "c3", "c4", "c5")
RATIOS = ("c1", "c2", "c3", "c4", "c5")
TARGET = ("<=", 2.0)  # a read's p95 over the trivial query's p95
TARGETS = {"c1": TARGET, "c2": TARGET}
PUPILS_CHECKED = 30
LABELS = {
    "b0": "(b0) { __typename }",
    "c1": "(c1) consentStatus",
    "c2": f"(c2) postingCheck, {PUPILS_CHECKED} (poster, lists)",
    "c3": f"(c3) postingCheck, {PUPILS_CHECKED} (poster, lines)",
    "c4": f"(c4) postingCheck, {PUPILS_CHECKED} (data lead)",
    "c5": f"(c5) postingCheck, {PUPILS_CHECKED} (poster, view)",
}
STATUSES = tuple(s.name for s in ConsentStatus)
CHECKS = {
    "b0": common.ResponseCheck(("__typename",)),
    "c1": common.ResponseCheck(("consentStatus", "status"), one_of=STATUSES),
    "c2": common.ResponseCheck(("postingCheck",), total_length=PUPILS_CHECKED),
    "c3": common.ResponseCheck(("postingCheck", "pupils"), length=PUPILS_CHECKED),
    "c4": common.ResponseCheck(("postingCheck", "pupils"), length=PUPILS_CHECKED),
    "c5": common.ResponseCheck(("postingCheck",), total_length=PUPILS_CHECKED),
}


# --- what the clients send -----------------------------------------------------------------------


@dataclass(frozen=True)
class Bodies:
    status: tuple[dict[str, Any], ...]  # (c1)
    check: tuple[dict[str, Any], ...]  # (c2) to (c5): the variables, without the query

    def of(self, kind: str) -> tuple[dict[str, Any], ...]:
        if kind == "b0":
            return ({"query": TYPENAME_QUERY},)
        if kind == "c1":
            return self.status
        by_kind = {"c2": POSTER_CHECK_QUERY, "c3": POSTER_LINES_QUERY, "c5": POSTER_FRESH_QUERY}
        query = by_kind.get(kind, LEAD_CHECK_QUERY)
        return tuple({"query": query, "variables": v} for v in self.check)


def since_data_began() -> datetime:
    """The first instant of the generated data set: September, ``academic_years`` ago."""
    start = academic_year_start(london_today()).year - Options.academic_years
    return datetime(start, 9, 1, tzinfo=LONDON).astimezone(UTC)


def make_bodies(school: SchoolSample, count: int, seed: int) -> Bodies:
    """(c1): random pupils, media and channels, ``at`` omitted or a random instant since the
    data set began; (c2) to (c5): 30 random pupils of the school and a random medium, now."""
    common.present(school.channel_id, "channel")
    rng = random.Random(seed)
    began = since_data_began()
    span = (datetime.now(UTC) - began).total_seconds()
    status = []
    for _ in range(count):
        variables: dict[str, Any] = {
            "p": rng.choice(school.roll_pupil_ids),
            "m": rng.choice(list(Medium)).name,
            "c": rng.choice(list(ConsentChannel)).name,
        }
        if rng.random() < 0.5:
            at = began + timedelta(seconds=rng.uniform(0, span))
            variables["at"] = at.astimezone(LONDON).isoformat(timespec="seconds")
        status.append({"query": STATUS_QUERY, "variables": variables})
    check = tuple(
        {
            "c": school.channel_id,
            "m": rng.choice(list(Medium)).name,
            "ps": rng.sample(school.roll_pupil_ids, PUPILS_CHECKED),
        }
        for _ in range(max(1, count // 4))
    )
    return Bodies(tuple(status), check)


# --- the run -------------------------------------------------------------------------------------


@dataclass
class Figures:
    runs: dict[str, list[common.LoadResult]] = field(default_factory=dict)
    shape: dict[str, Any] = field(default_factory=dict)


def describe_reads(
    container: Container, read: SchoolSample, bodies: Bodies, figures: Figures
) -> None:
    """What the measured reads return on this data set (through the real query functions)."""
    school, channel_id = UUID(read.school_id), UUID(common.present(read.channel_id, "channel"))
    statuses: Counter[str] = Counter()
    may_appear = []
    with container.pool.connection() as conn:
        channel = common.present(publications.channel(conn, channel_id), "channel")
        if channel.school_id != school:
            raise RuntimeError("the sample's channel is not its school's")
        for body in bodies.status:
            v = body["variables"]
            at = datetime.fromisoformat(v["at"]) if "at" in v else datetime.now(UTC)
            pupil = UUID(v["p"])
            medium, kind = Medium[v["m"]].value, ConsentChannel[v["c"]].value
            answered = queries.answers(conn, [pupil], medium, kind, at)
            statuses[answered[pupil].judged.answer.status.value] += 1
        now = datetime.now(UTC)
        for v in bodies.check:
            ids = [UUID(p) for p in v["ps"]]
            answered = queries.answers(conn, ids, Medium[v["m"]].value, channel.kind, now)
            may_appear.append(sum(a.judged.answer.may_publish for a in answered.values()))
        rulings = conn.execute(
            "SELECT count(*) AS n FROM cs_rulings r JOIN cs_pupils p USING (pupil_id) "
            "WHERE p.school_id = %s",
            (school,),
        ).fetchone()
    figures.shape = {
        "school": read.school_name,
        "pupils_on_roll": len(read.roll_pupil_ids),
        "consent_records": read.consent_records,
        "rulings": int((rulings or {}).get("n") or 0),
        "publications": read.publications,
        "channel": channel.kind,
        "posters": len(channel.posters),
        "c1_statuses": dict(sorted(statuses.items())),
        "c2_may_appear_mean": round(sum(may_appear) / len(may_appear), 1),
    }
    s = figures.shape
    print(
        f"read school: {read.school_name} ({s['pupils_on_roll']} pupils on roll, "
        f"{s['consent_records']} consent records, {s['rulings']} decisions, "
        f"{s['publications']} publications); (c1) answers {s['c1_statuses']}; (c2) on average "
        f"{s['c2_may_appear_mean']} of {PUPILS_CHECKED} may appear",
        flush=True,
    )


def _post(client: httpx.Client, token: str, query: str, variables: dict[str, Any]) -> Any:
    response = client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    return response.json()


def domain_status(container: Container, pupil: str, medium: str, channel: str, at: str) -> str:
    """The domain's own answer, from the consent record in the event store."""
    app = container.app
    record_id = consent_record_id(UUID(pupil))
    if record_id not in app.repository:
        return ConsentStatus.NO_RECORD.name
    record = app.get(ConsentRecord, record_id, "Consent record", read_only=True)
    lapse = lapse_of(app.get(Pupil, UUID(pupil), "Pupil", read_only=True))
    value = record.answer(medium, channel, datetime.fromisoformat(at), lapse).status
    return ConsentStatus(value).name


def verify(container: Container, url: str, lead: str, poster: str, bodies: Bodies) -> None:
    """The answers over HTTP agree with the domain's rule, and each caller sees what they may."""
    at = datetime.now(UTC).isoformat(timespec="seconds")
    problems: list[str] = []
    compared = 0
    with httpx.Client(base_url=url, timeout=60.0) as client:
        for body in bodies.status[:100]:  # (c1) as sent, at an explicit instant
            v = dict(body["variables"])
            v.setdefault("at", at)
            got = _post(client, lead, STATUS_QUERY, v)
            status = ((got.get("data") or {}).get("consentStatus") or {}).get("status")
            medium, channel = Medium[v["m"]].value, ConsentChannel[v["c"]].value
            expected = domain_status(container, v["p"], medium, channel, v["at"])
            compared += 1
            if status != expected:
                problems.append(f"consentStatus {v}: {status}, the domain says {expected}")
        for check in bodies.check[:5]:  # (c2) to (c4)
            v = check | {"at": at}
            seen = {}
            for who, token in (("poster", poster), ("data lead", lead)):
                got = _post(client, token, DETAIL_QUERY, v)
                answer = (got.get("data") or {}).get("postingCheck") or {}
                pupils = answer.get("pupils")
                if got.get("errors") or not pupils:
                    problems.append(f"postingCheck as the {who}: {json.dumps(got)[:300]}")
                    continue
                seen[who] = {p["pupilId"]: (p["mayAppear"], p["detail"]) for p in pupils}
                lists = (answer["mayAppear"], answer["mayNotAppear"])
                by_line = tuple(
                    [p["pupilId"] for p in pupils if p["mayAppear"] is m] for m in (True, False)
                )
                if lists != by_line:
                    problems.append(f"postingCheck as the {who}: lists {lists}, lines {by_line}")
            if len(seen) < 2:
                continue
            kind = channel_kind(container, v["c"])
            for pupil, (may, detail) in seen["poster"].items():
                lead_may, lead_detail = seen["data lead"][pupil]
                expected = domain_status(container, pupil, Medium[v["m"]].value, kind, at)
                compared += 1
                if detail is not None or lead_detail is None or may != lead_may:
                    problems.append(f"postingCheck {pupil}: poster {may, detail}, lead {lead_may}")
                elif lead_detail["status"] != expected or may != (expected == "GRANTED"):
                    problems.append(f"postingCheck {pupil}: {lead_detail}, the domain: {expected}")
        v = bodies.status[0]["variables"]
        strawberry_log = logging.getLogger("strawberry.execution")  # logs the refusal
        level = strawberry_log.level
        strawberry_log.setLevel(logging.CRITICAL)
        try:
            refused = _post(client, poster, STATUS_QUERY, v)  # a poster sees yes or no only
        finally:
            strawberry_log.setLevel(level)
        if (refused.get("data") or {}).get("consentStatus") or not refused.get("errors"):
            problems.append(f"consentStatus as the poster: {json.dumps(refused)[:300]}")
    if problems:
        raise common.LoadFailed(f"{len(problems)} answers wrong; first: {problems[0]}")
    print(f"checked {compared} answers over HTTP against the domain's rule: all agree", flush=True)


def channel_kind(container: Container, channel_id: str) -> str:
    with container.pool.connection() as conn:
        row = publications.channel(conn, UUID(channel_id))
    return common.present(row, "channel").kind


def run_http_phases(
    args: argparse.Namespace, container: Container, figures: Figures, read: SchoolSample
) -> Bodies:
    settings = container.settings
    lead_token = issue_dev_token(settings, read.data_lead_user_id)
    poster_token = issue_dev_token(settings, common.present(read.poster_user_id, "poster"))
    print(f"reads as {read.data_lead_user_id} (data lead) and {read.poster_user_id} (poster)")
    per_run = args.clients * (common.warmup_requests(args) + args.requests)
    bodies = make_bodies(read, min(per_run, 2000), args.seed)
    describe_reads(container, read, bodies, figures)
    tokens = {
        "b0": lead_token,
        "c1": lead_token,
        "c2": poster_token,
        "c3": poster_token,
        "c4": lead_token,
        "c5": poster_token,
    }

    with (
        common.LoadRunner(in_process=args.clients_in_process) as runner,
        common.http_server(container) as url,
    ):
        verify(container, url, lead_token, poster_token, bodies)

        def spec(kind: str, round_number: int) -> common.LoadSpec:
            return common.phase_spec(args, kind, url, tokens[kind], bodies.of(kind), CHECKS[kind])

        figures.runs = common.run_rounds(args, container, runner, PHASES, spec)
    return bodies


def explain_reads(
    container: Container, read: SchoolSample, bodies: Bodies
) -> dict[str, list[float]]:
    """EXPLAIN (ANALYZE, BUFFERS) every statement the two reads issue; execution ms each."""
    now = datetime.now(UTC)
    status = bodies.status[0]["variables"]
    check = bodies.check[0]
    pupil = UUID(status["p"])
    medium, kind = Medium[status["m"]].value, ConsentChannel[status["c"]].value
    channel_id = UUID(check["c"])
    ids = [UUID(p) for p in check["ps"]]
    poster = common.present(read.poster_user_id, "poster")
    steps: dict[str, Callable[[Any], Any]] = {
        "c1 consentStatus": lambda c: queries.answers(c, [pupil], medium, kind, now),
        f"c2 postingCheck ({PUPILS_CHECKED})": lambda c: queries.posting_sources(
            c,
            channel_id,
            poster,
            container.blind_index.login(poster),
            ids,
            Medium[check["m"]].value,
        ),
    }
    return common.explain(container, steps)


def summarise(figures: Figures) -> dict[str, Any]:
    targets = {f"{k}_over_b0_p95": target for k, target in TARGETS.items()}
    return common.phase_figures(figures.runs, RATIOS, targets) | {"read_school": figures.shape}


def report(summary: dict[str, Any]) -> None:
    common.print_data_set(summary)
    for kind in PHASES:
        common.print_phase(summary, kind, LABELS[kind])
    common.finish_report(summary, {kind: TARGETS.get(kind) for kind in RATIOS})


def main(argv: list[str] | None = None) -> int:
    args = common.data_set_parser(
        __doc__, "afterwards, EXPLAIN ANALYZE each SQL statement of the two reads"
    ).parse_args(argv)

    def measure(container: Container, generated: Generated) -> dict[str, Any]:
        read = generated.typical(1)[0]
        if read.channel_id is None or read.poster_user_id is None:
            raise RuntimeError("the generated data set has no consent data")
        if len(read.roll_pupil_ids) < PUPILS_CHECKED:
            raise RuntimeError(f"{read.school_name} has fewer than {PUPILS_CHECKED} pupils")
        for user in (read.data_lead_user_id, read.poster_user_id):
            if not container.app.principal_for(user).grants:
                raise RuntimeError(f"{user} holds no role")
        figures = Figures()
        bodies = run_http_phases(args, container, figures, read)
        summary = summarise(figures)
        if args.explain:
            summary["explain_ms"] = explain_reads(container, read, bodies)
        return summary

    return common.run_on_data_set(args, measure, report)


if __name__ == "__main__":
    sys.exit(main())
