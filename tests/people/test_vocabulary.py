"""The resolver alone: folded keys, aliases before synonyms, and two different skills never one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from twoway.people.catalogue import SKILL_CATALOGUE
from twoway.people.vocabulary import (
    BUILT_IN_SYNONYMS,
    SYNONYM_OF,
    Vocabulary,
    skill_key,
)

CATALOGUE = [name for names in SKILL_CATALOGUE.values() for name in names]
KNOWN = sorted({*CATALOGUE, *BUILT_IN_SYNONYMS, "C", "C++", "C#", "Node.js", "R"})


def test_it_folds_case_spacing_hyphens_and_punctuation() -> None:
    assert skill_key("Public-speaking") == skill_key("public  speaking") == "public speaking"
    assert skill_key("  WORK – life_balance ") == skill_key("Work-life balance")
    assert skill_key("Node.js") == skill_key("NodeJS")
    assert skill_key("Research & development") == skill_key("research and development")
    # Languages whose names are punctuation apart stay apart.
    assert len({skill_key(n) for n in ("C", "C++", "C#")}) == 3


def test_synonyms_point_at_their_own_skill_and_never_at_another_known_name() -> None:
    keys = {skill_key(n): n for n in KNOWN}
    for alias_key, canonical in SYNONYM_OF.items():
        assert alias_key not in keys or keys[alias_key] == canonical, alias_key
    # Names that mean two things at work are left out on purpose.
    for ambiguous in ("PM", "CS", "BA", "Go"):
        assert skill_key(ambiguous) not in SYNONYM_OF


def test_a_synonym_lands_on_the_existing_skill_and_else_names_a_new_one_canonically() -> None:
    vocabulary = Vocabulary([(1, "SQL")])
    found = vocabulary.find("Structured  query-language")
    assert (found.skill, found.name, found.how) == (1, "SQL", "synonym")
    k8s = vocabulary.find("k8s")
    assert (k8s.skill, k8s.name, k8s.how) == (None, "Kubernetes", "synonym")


def test_an_organizations_alias_comes_before_the_built_in_synonyms() -> None:
    # This organization says "AI" for its Account Intelligence tool, not for the built-in AI.
    vocabulary = Vocabulary(
        [(1, "Artificial intelligence"), (2, "Account intelligence")], [("ai", 2)]
    )
    assert vocabulary.find("ai").skill == 2
    assert vocabulary.find("Artificial Intelligence").skill == 1


def _variant(draw: st.DrawFn, name: str) -> str:
    """The same skill as a person might type it: any case, spaces doubled or made hyphens or
    underscores, spaces around."""
    out = []
    for ch in name:
        if ch == " " or ch == "-":
            out.append(draw(st.sampled_from([" ", "  ", "-", "_", " - ", "–", "\t"])))
        elif ch.isalpha():
            out.append(ch.upper() if draw(st.booleans()) else ch.lower())
        else:
            out.append(ch)
    pad = st.sampled_from(["", " ", "  ", "\u00a0"])
    return draw(pad) + "".join(out) + draw(pad)


@st.composite
def typed_variant(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(KNOWN))
    return name, _variant(draw, name)


@given(typed_variant())
def test_any_case_or_spacing_variant_resolves_to_the_same_skill(case: tuple[str, str]) -> None:
    name, typed = case
    vocabulary = Vocabulary(enumerate(KNOWN))
    found = vocabulary.find(typed)
    assert found.skill == KNOWN.index(name)
    assert found.name == name


skill_names = st.text(
    alphabet=st.characters(categories=("L", "N", "Zs", "Pd", "Po", "Sm")), min_size=1, max_size=30
).filter(lambda s: skill_key(s) != "")


@given(st.lists(skill_names, min_size=2, max_size=8))
def test_a_different_skill_never_merges(names: list[str]) -> None:
    distinct = list({skill_key(n): n for n in names}.values())
    vocabulary = Vocabulary(enumerate(distinct))
    for pk, name in enumerate(distinct):
        assert vocabulary.find(name).skill == pk, name


ascii_names = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -+#", max_size=20
).filter(lambda s: skill_key(s) != "")


@st.composite
def two_skills_and_a_variant(draw: st.DrawFn) -> tuple[str, str, str]:
    first = draw(ascii_names)
    second = draw(ascii_names.filter(lambda s: skill_key(s) != skill_key(first)))
    return first, second, _variant(draw, first)


@given(two_skills_and_a_variant())
def test_a_variant_of_one_skill_never_lands_on_another(case: tuple[str, str, str]) -> None:
    first, second, typed = case
    vocabulary = Vocabulary([(1, first), (2, second)])
    assert vocabulary.find(typed).skill == 1
