"""The README's table of demo users is exactly the users `casework seed demo` creates, in order,
each with its role and where it is held."""

from __future__ import annotations

from pathlib import Path

from api.seed import demo_users

README = Path(__file__).resolve().parents[2] / "README.md"
START = "<!-- demo users"
END = "<!-- end of demo users -->"


def readme_rows() -> list[tuple[str, str, str]]:
    text = README.read_text()
    table = text[text.index(START) : text.index(END)]
    rows = []
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `"):
            rows.append((cells[0].strip("`"), cells[1], cells[2]))
    return rows


def test_the_readme_lists_every_demo_user_where_the_seed_puts_them() -> None:
    listed = [(user, where) for user, _, where in readme_rows()]
    seeded = [(u.user_id, u.school or "trust") for u in demo_users()]
    assert listed == seeded


def test_the_readme_gives_each_demo_user_the_role_the_seed_grants() -> None:
    roles = {u.user_id: u.role.value.replace("_", " ") for u in demo_users()}
    for user, role, _ in readme_rows():
        assert role.lower().startswith(roles[user]), (user, role)


def test_the_readme_names_the_chair_of_governors_for_cases_about_a_headteacher() -> None:
    (chair,) = [row for row in readme_rows() if row[0] == "chair@demo.trust"]
    assert "headteacher" in chair[1]
