"""Area names across transliterations, on the district names of the real geoBoundaries file
of Azerbaijan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mineaction.geo.areas import Named, duplicate_names, match_name, name_key
from tests.areas.conftest import ARM_ADM1, GEO_ADM1, boundary


@pytest.fixture(scope="module")
def districts(aze_adm2: list[dict[str, Any]]) -> list[Named]:
    return [Named(f["id"], f["name"]) for f in aze_adm2]


@pytest.mark.parametrize(("query", "expected"), [
    ("Fuzuli", "Fuzuli District"), ("Fuzili", "Fuzuli District"),
    ("Füzuli", "Fuzuli District"), ("Физули", "Fuzuli District"),
    ("Ֆիզուլի", "Fuzuli District"), ("ფიზული", "Fuzuli District"),
    ("Ağdam", "Agdam District"), ("Aghdam", "Agdam District"), ("Agdam", "Agdam District"),
    ("Агдам", "Agdam District"), ("Ağdaş", "Agdash District"),
    ("Gubadly", "Qubadli District"), ("Gazakh", "Qazakh District"),
    ("Aghstafa", "Agstafa District"), ("Cəbrayıl", "Jabrayil District"),
    ("Джебраил", "Jabrayil District"), ("Xankəndi", "Khankendi City"),
    ("Naxçıvan", "Nakhchivan City"), ("Shusha City", "Shusha City"),
])
def test_a_name_matches_across_transliterations(districts: list[Named], query: str,
                                                expected: str) -> None:
    m = match_name(query, districts)
    assert m.found is not None and m.found.name == expected, m


def test_an_ambiguous_name_lists_its_candidates(districts: list[Named]) -> None:
    m = match_name("Lankaran District", districts)
    assert m.found is None and m.ambiguous
    assert [c.name for c in m.candidates] == ["Lankaran District", "Lankaran District"]
    # Without its kind, the name fits the city too; in Russian, the vowels differ as well.
    for query in ("Lankaran", "Lənkəran", "Ленкорань"):
        m = match_name(query, districts)
        assert m.ambiguous, query
        assert {c.name for c in m.candidates} == {"Lankaran District", "Lankaran City"}
    shusha = match_name("Шуша", districts)
    assert {c.name for c in shusha.candidates} == {"Shusha City", "Shusha District"}


def test_a_name_that_matches_nothing_is_none(districts: list[Named]) -> None:
    for query in ("Askeran", "Stepanakert", "Bogotá", ""):
        m = match_name(query, districts)
        assert m.found is None and not m.ambiguous, (query, m)


def test_an_id_matches_before_any_name(districts: list[Named]) -> None:
    some = districts[5]
    assert match_name(some.id, districts).found == some
    assert match_name(some.id.lower(), districts).found == some


def test_keys_fold_the_azerbaijani_letters_and_digraphs() -> None:
    assert name_key("Şəmkir rayonu") == name_key("Shamkir District") == "samkir"
    assert name_key("Xaçmaz") == name_key("Khachmaz") == "hacmaz"
    assert name_key("Göygöl") == name_key("Goygol")
    assert name_key("Lankaran City", kind=True) != name_key("Lankaran District", kind=True)


def test_the_duplicate_lankaran_district_is_found(aze_adm2: list[dict[str, Any]]) -> None:
    areas = [Named(f["id"], f["name"]) for f in aze_adm2]
    dups = duplicate_names(areas, [f"feature {i + 1}" for i in range(len(areas))])
    assert [d.name for d in dups] == ["Lankaran District"]
    (dup,) = dups
    assert len(dup.where) == 2 and all(w.startswith("feature ") for w in dup.where)
    assert len({a.id for a in dup.areas}) == 2


def test_published_figures_find_their_area_in_another_transliteration(
        aze_adm2: list[dict[str, Any]]) -> None:
    """The published table of 2023 says Aghdam, Gubadly, Fuzili where the shapes say Agdam
    District, Qubadli District, Fuzuli District: the comparison of figures finds them."""
    from mineaction.analysis.figures import Places

    ids = {f["name"]: f["id"] for f in aze_adm2}
    places = Places({f["id"]: "AZ" for f in aze_adm2}, {f["id"]: f["name"] for f in aze_adm2},
                    {})
    for published, shape in (("Aghdam", "Agdam District"), ("Gubadly", "Qubadli District"),
                             ("Fuzili", "Fuzuli District"), ("Gazakh", "Qazakh District")):
        assert places.within("AZ", published) == {ids[shape]}
    assert places.within("AZ", "Askeran") == frozenset()  # no polygon of its own here
    assert places.within("AZ", "Lankaran") == frozenset()  # a city and two districts: none
    assert places.within("GE", "Aghdam") == frozenset()


@pytest.mark.parametrize(("path", "query", "expected"), [
    (ARM_ADM1, "Սյունիք", "Syunik"), (ARM_ADM1, "Сюник", "Syunik"),
    (ARM_ADM1, "Տավուշ", "Tavush"), (ARM_ADM1, "Гехаркуник", "Gegharkunik"),
    (ARM_ADM1, "Երևան", "Yerevan"), (ARM_ADM1, "Ереван", "Yerevan"),
    (GEO_ADM1, "Аджария", "Autonomous Republic of Adjara"),
    (GEO_ADM1, "Adjara", "Autonomous Republic of Adjara"),
    (GEO_ADM1, "კახეთი", "Kakheti"), (GEO_ADM1, "Имеретия", "Imereti"),
    (GEO_ADM1, "თბილისი", "Tbilisi"), (GEO_ADM1, "Абхазия", "Autonomous Republic of Abkhazia"),
])
def test_armenian_and_georgian_regions(path: Path, query: str, expected: str) -> None:
    regions = [Named(f["id"], f["name"]) for f in boundary(path)]
    m = match_name(query, regions)
    assert m.found is not None and m.found.name == expected, m
