"""The words the generator draws from: names, places, platforms, and how often each kind of
incident, action, refusal and post comes up in a real school's log."""

from __future__ import annotations

from domain.consent.model import ConsentChannel


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
