import datetime as dt

import pytest

from mineaction import domain as d
from mineaction.domain.ordnance import CATALOGUE, check_model_category, lookup, normalise_model
from mineaction.domain.schema import coerce_properties, coerce_value, field_specs


@pytest.mark.parametrize("spelling,name", [
    ("PMN2", "PMN-2"), ("pmn-2", "PMN-2"), (" PMN 2 ", "PMN-2"), ("ПМН-2", "PMN-2"),
    ("TM62M", "TM-62M"), ("ТМ-62М", "TM-62M"), ("mon 100", "MON-100"), ("OZM72", "OZM-72"),
    ("9N235", "9N235"), ("ShOAB-0,5", "ShOAB-0.5"), ("POMZ-2M", "POMZ-2M"), ("PFM-1", "PFM-1"),
])
def test_catalogue_recognises_spellings(spelling, name):
    assert lookup(spelling).name == name


def test_unknown_model_is_unknown_not_guessed():
    assert lookup("PMN-9") is None
    assert lookup("TM-99") is None
    assert lookup("") is None and lookup(None) is None
    assert check_model_category("PMN-9", d.EOCategory.AV) is None


def test_catalogue_categories_and_unique_keys():
    keys = [normalise_model(m.name) for m in CATALOGUE]
    assert len(keys) == len(set(keys))
    assert lookup("TM-57").category == d.EOCategory.AV
    assert lookup("MON-50").category == d.EOCategory.AP
    assert lookup("M77").category == d.EOCategory.CMR
    assert "not av" in check_model_category("PMN-2", d.EOCategory.AV)


def test_coercion_names_field_and_reason():
    specs = field_specs(d.Hazard)
    values, problems = coerce_properties(specs, {
        "id": "H1", "kind": "CHA", "threat": "extreme", "estimated_mines": "12.0",
        "recorded_on": "2021-02-30", "contamination": "ap; av", "village": "Qaraqol"},
        "line 3", today=dt.date(2024, 1, 1))
    assert values["kind"] == d.HazardKind.CHA and values["estimated_mines"] == 12
    assert values["contamination"] == {d.EOCategory.AP, d.EOCategory.AV}
    assert '"village": "Qaraqol"' in values["attributes"]
    reasons = {p.field: p.reason for p in problems}
    assert set(reasons) == {"threat", "recorded_on"}
    assert "expected one of high, medium, low" in reasons["threat"]
    assert str(problems[0]).startswith("line 3, field '")


def test_values_coerce_or_refuse():
    spec = {s.name: s for s in field_specs(d.Find)}
    today = dt.date(2024, 1, 1)
    assert coerce_value(spec["quantity"], 3.0, today=today) == 3
    with pytest.raises(ValueError):
        coerce_value(spec["quantity"], 2.5, today=today)
    with pytest.raises(ValueError):
        coerce_value(spec["quantity"], True, today=today)
    assert coerce_value(spec["victim_activated"], "yes", today=today) is True
    found = coerce_value(spec["found_on"], dt.datetime(2020, 1, 2, 3), today=today)
    assert found == dt.date(2020, 1, 2)


def test_domain_rules():
    with pytest.raises(ValueError, match="before started_on"):
        d.Activity(id="A", kind="clearance", operator="X", started_on=dt.date(2022, 2, 1),
                   ended_on=dt.date(2022, 1, 1))
    with pytest.raises(ValueError, match="quantity"):
        d.Find(id="F", category="ap", quantity=0)
    v = d.Victim(id="V", group="civilian", outcome="killed")
    assert v.group is d.VictimGroup.CIVILIAN and v.sex is d.Sex.UNKNOWN
    personal = {s.name for s in field_specs(d.VictimPersonal) if not s.public}
    assert {"full_name", "born_on", "contact"} <= personal
    assert not ({"full_name", "born_on", "contact"} & {s.name for s in field_specs(d.Victim)})
