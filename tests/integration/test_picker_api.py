"""The pupil and staff pickers over HTTP, from `casework seed demo` (docs/rules.md §1.5): a
member of staff reporting a concern finds the pupils and staff to name by the start of a name,
sees only id, name and year group or role, never their own record nor another school's people;
every search, and every refusal, is in the access log."""

from __future__ import annotations

from uuid import uuid4

PUPILS = (
    "query($s: ID!, $q: String!, $f: Int, $p: Position) { pupilPicker(schoolId: $s, search: $q, "
    "first: $f, minPosition: $p) { id displayName yearGroup } }"
)
STAFF = (
    "query($s: ID!, $q: String!, $p: Position) { staffPicker(schoolId: $s, search: $q, "
    "minPosition: $p) { id displayName role } }"
)
LOG = (
    "query($r: ID) { accessLog(recordId: $r, first: 100) { edges { node { userId action "
    "recordType recordId outcome } } } }"
)
TEACHER = "teacher@primary.demo"


def pupils(client, school: str, search: str, first: int | None = None, position=None) -> list:
    return client.data(PUPILS, asked(school, search, first, position))["pupilPicker"]


def asked(school: str, search: str, first: int | None = None, position=None) -> dict:
    """The variables of a search: those not given are left out (the field's defaults)."""
    given = {"s": school, "q": search, "f": first, "p": position}
    return {k: v for k, v in given.items() if v is not None}


def names(found: list) -> list[str]:
    return [p["displayName"] for p in found]


def register(lead, school: str, name: str) -> dict:
    return lead.mutate(
        "registerPupil",
        "RegisterPupilInput",
        {"schoolId": school, "fullName": name, "dateOfBirth": "2015-02-01", "yearGroup": 5},
        "... on RegisterPupilSuccess { pupilId position }",
    )


def log_of(users, record_id: str) -> list[dict]:
    edges = users("dpo@demo.trust").data(LOG, {"r": record_id})["accessLog"]["edges"]
    return [e["node"] for e in edges]


def test_a_teacher_finds_a_pupil_by_the_start_of_their_first_name(users, demo):
    found = pupils(users(TEACHER), demo["primary"], "gra")
    assert [(p["displayName"], p["yearGroup"]) for p in found] == [("Grace Okafor", 6)]


def test_a_teacher_finds_a_pupil_by_the_start_of_their_surname(users, demo):
    assert names(pupils(users(TEACHER), demo["primary"], "now")) == ["Leo Nowak"]


def test_the_search_ignores_case(users, demo):
    assert names(pupils(users(TEACHER), demo["primary"], "AMIRA K")) == ["Amira Khan"]


def test_the_search_ignores_accents(users, demo):
    registered = register(users("datalead@primary.demo"), demo["primary"], "Zoë Brontë")
    found = pupils(users(TEACHER), demo["primary"], "zoe", position=registered["position"])
    assert found == [{"id": registered["pupilId"], "displayName": "Zoë Brontë", "yearGroup": 5}]


def test_a_pick_offers_only_id_name_and_year_group_or_role(users, demo):
    fields = users(TEACHER).data(
        '{ p: __type(name: "PupilPick") { fields { name } } '
        's: __type(name: "StaffPick") { fields { name } } }'
    )
    assert {f["name"] for f in fields["p"]["fields"]} == {"id", "displayName", "yearGroup"}
    assert {f["name"] for f in fields["s"]["fields"]} == {"id", "displayName", "role"}


def test_at_most_twenty_are_answered_whatever_first_asks(users, demo):
    lead = users("datalead@primary.demo")
    position = None
    for i in range(21):
        position = register(lead, demo["primary"], f"Bo Pupil {i:02}")["position"]
    found = pupils(users(TEACHER), demo["primary"], "bo", first=100, position=position)
    assert names(found) == [f"Bo Pupil {i:02}" for i in range(20)]


def test_first_bounds_the_answer(users, demo):
    everyone = pupils(users(TEACHER), demo["primary"], "o")  # Oliver Smith, Grace Okafor
    assert pupils(users(TEACHER), demo["primary"], "o", first=1) == everyone[:1]


def test_a_pupil_who_has_left_is_not_offered(users, demo):
    lead = users("datalead@primary.demo")
    (leo,) = pupils(lead, demo["primary"], "leo")
    left = lead.mutate(
        "recordPupilLeft",
        "RecordPupilLeftInput",
        {"pupilId": leo["id"], "leftOn": "2026-07-20"},
        "... on RecordPupilLeftSuccess { position }",
    )
    assert pupils(users(TEACHER), demo["primary"], "leo", position=left["position"]) == []


def test_a_pupil_of_the_same_name_at_another_school_is_never_offered(users, demo):
    (at_academy,) = pupils(users("teacher@academy.demo"), demo["academy"], "amira")
    (at_primary,) = pupils(users(TEACHER), demo["primary"], "amira")
    assert at_primary["id"] != at_academy["id"]


def test_a_teacher_finds_staff_in_post_with_their_role(users, demo):
    found = users(TEACHER).data(STAFF, {"s": demo["primary"], "q": "chris"})["staffPicker"]
    assert [(s["displayName"], s["role"]) for s in found] == [("Chris Volunteer", "VOLUNTEER")]


def test_a_teacher_can_name_their_headteacher(users, demo):
    found = users(TEACHER).data(STAFF, {"s": demo["primary"], "q": "head"})["staffPicker"]
    assert [(s["displayName"], s["role"]) for s in found] == [("Head of primary", "HEADTEACHER")]


def test_a_caller_is_never_offered_their_own_record(users, demo):
    # teacher@primary.demo is "Sam Jones (primary)"
    assert users(TEACHER).data(STAFF, {"s": demo["primary"], "q": "sam"})["staffPicker"] == []


def test_each_search_is_logged_against_the_school_without_its_text(users, demo):
    pupils(users(TEACHER), demo["primary"], "grace")
    entries = [e for e in log_of(users, demo["primary"]) if e["userId"] == TEACHER]
    assert entries == [
        {
            "userId": TEACHER,
            "action": "pupilPicker",
            "recordType": "school",
            "recordId": demo["primary"],
            "outcome": "READ",
        }
    ]


def test_a_member_of_another_school_gets_the_unknown_school_answer(users, demo):
    body = users("teacher@academy.demo").gql(PUPILS, asked(demo["primary"], "amira"))
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert "Amira" not in str(body)


def test_the_refusal_answers_as_a_school_that_does_not_exist(users, demo):
    outsider = users("teacher@academy.demo")
    refused = outsider.gql(STAFF, {"s": demo["primary"], "q": "chris"})["errors"][0]
    unknown = outsider.gql(STAFF, {"s": str(uuid4()), "q": "chris"})["errors"][0]
    assert (refused["message"], refused["extensions"]) == (
        unknown["message"],
        unknown["extensions"],
    )


def test_a_refused_search_is_logged(users, demo):
    users("teacher@academy.demo").gql(STAFF, {"s": demo["primary"], "q": "chris"})
    assert {
        "userId": "teacher@academy.demo",
        "action": "staffPicker",
        "recordType": "school",
        "recordId": demo["primary"],
        "outcome": "REFUSED",
    } in log_of(users, demo["primary"])


def test_a_search_with_nothing_to_match_is_a_validation_error_naming_search(users, demo):
    body = users(TEACHER).gql(PUPILS, asked(demo["primary"], " - "))
    assert body["errors"][0]["extensions"] == {"code": "VALIDATION_ERROR", "field": "search"}
