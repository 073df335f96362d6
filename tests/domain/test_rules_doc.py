"""docs/rules.md is the document the code's rule references point at: it keeps its sections
numbered, every module it names exists, every section the code cites is in it, and no code
cites the document that lived outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "docs" / "rules.md"
CODE_FOLDERS = ("api", "domain", "projections", "ops")
# Spelt in two parts so that rewriting the old references across the tree leaves this one be.
OLD_DOCUMENT = "DOMAIN" + ".md"

SECTION = re.compile(r"^## (\d+)\. \S", re.MULTILINE)
SUBSECTION = re.compile(r"^### (\d+)\.(\d+) \S", re.MULTILINE)
# A module or folder the document names: `domain/incidents/rules.py`, `projections/consent/`.
MODULE = re.compile(r"`((?:api|domain|projections|ops|migrations|tests)/[\w./-]*)`")
# "docs/rules.md §3", "docs/rules.md §3.2", "docs/rules.md §3 to §5", "docs/rules.md §6 and §7"
NUMBER = r"§\d+(?:\.\d+)?"
CITATION = re.compile(
    rf"docs/rules\.md\s+({NUMBER}(?:\s*(?:,|and|or|to|–|-)\s*{NUMBER})*)"  # noqa: RUF001
)


def _document() -> str:
    return RULES.read_text(encoding="utf-8")


def _sections() -> set[str]:
    text = _document()
    numbers = {m.group(1) for m in SECTION.finditer(text)}
    return numbers | {f"{m.group(1)}.{m.group(2)}" for m in SUBSECTION.finditer(text)}


def _code_files() -> list[Path]:
    files = [p for folder in CODE_FOLDERS for p in sorted((ROOT / folder).rglob("*.py"))]
    return [*files, ROOT / "README.md"]


def _exists(cited: str) -> bool:
    """A file or folder of the tree; a module ``a/b.py`` is also there as the package ``a/b/``."""
    path = ROOT / cited
    if path.exists():
        return True
    return cited.endswith(".py") and (ROOT / cited[: -len(".py")] / "__init__.py").is_file()


def test_sections_are_numbered_one_after_another_from_one() -> None:
    text = _document()
    sections = [int(m.group(1)) for m in SECTION.finditer(text)]
    assert sections == list(range(1, len(sections) + 1))
    assert len(sections) >= 11  # the numbering the references were written against


def test_each_rule_is_numbered_within_its_section() -> None:
    text = _document()
    position_of = {int(m.group(1)): m.start() for m in SECTION.finditer(text)}
    last: dict[int, int] = {}
    for m in SUBSECTION.finditer(text):
        section, rule = int(m.group(1)), int(m.group(2))
        inside = max(s for s, at in position_of.items() if at < m.start())
        assert section == inside, f"§{section}.{rule} sits under §{inside}"
        assert rule == last.get(section, 0) + 1, f"§{section}.{rule} follows §{section}.{rule - 1}"
        last[section] = rule


def test_every_module_the_document_names_exists() -> None:
    cited = sorted(set(MODULE.findall(_document())))
    assert cited, "the document names the modules that encode its rules"
    missing = [c for c in cited if not _exists(c)]
    assert not missing, f"docs/rules.md names modules that are not in the tree: {missing}"


def test_every_section_the_code_cites_is_in_the_document() -> None:
    sections = _sections()
    unknown = []
    for path in _code_files():
        text = path.read_text(encoding="utf-8")
        for m in CITATION.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            for number in re.findall(r"§(\d+(?:\.\d+)?)", m.group(1)):
                if number not in sections:
                    unknown.append(f"{path.relative_to(ROOT)}:{line} §{number}")
    assert not unknown, f"cited sections docs/rules.md does not have: {unknown}"


@pytest.mark.parametrize("folder", [*CODE_FOLDERS, "README.md"])
def test_no_code_cites_the_document_outside_the_repository(folder: str) -> None:
    root = ROOT / folder
    files = [root] if root.is_file() else sorted(root.rglob("*.py"))
    citing = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in files
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if OLD_DOCUMENT in line
    ]
    assert not citing, f"cite docs/rules.md instead of {OLD_DOCUMENT}: {citing}"
