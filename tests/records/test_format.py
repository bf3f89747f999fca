"""The exchange format: the schema, the example, and the checks that name record and field."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from mineaction.domain.minefield_records import check_record, parse_text, schema
from mineaction.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "minefield-records" / "MR-0001.json"


def example() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def problems(rec: dict) -> list[tuple[str, str | None, str]]:
    _, probs = check_record(rec)
    return [(p.where, p.field, p.reason) for p in probs]


def test_packaged_schema_is_the_documented_one() -> None:
    docs = json.loads((ROOT / "docs" / "minefield-record.schema.json").read_text("utf-8"))
    assert schema() == docs
    jsonschema.Draft202012Validator.check_schema(docs)


def test_example_is_valid_and_kept_verbatim() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    (rec,) = parse_text(text, source="MR-0001.json")
    assert rec.record_id == "MR-0001"
    assert rec.expected_mines == 40 + 40 + 20 + 1
    assert rec.original == text
    assert rec.source and rec.source.startswith("synthetic:")
    assert rec.bearings.unit == "mil6000" and rec.bearings.declination_deg == 6.2


def test_turning_point_referring_to_nothing() -> None:
    rec = example()
    rec["turning_points"][2]["from"] = "TP9"
    assert problems(rec) == [("record MR-0001", "turning_points[2].from",
                              "'TP9' is neither a reference point nor a turning point")]


def test_turning_point_defined_later() -> None:
    rec = example()
    rec["turning_points"][1]["from"] = "TP4"
    ((where, fld, reason),) = problems(rec)
    assert fld == "turning_points[1].from" and "only later" in reason


def test_row_with_no_length() -> None:
    rec = example()
    rec["rows"][0]["end"] = "TP5"
    found = problems(rec)
    assert ("record MR-0001", "rows[0].end",
            "the row starts and ends at 'TP5': it has no length") in found


def test_impossible_count() -> None:
    rec = example()
    rec["rows"][2]["count"] = 60  # 59 gaps of 10 m on a 200 m row
    assert problems(rec) == [("record MR-0001", "rows[2].count",
                              "60 mines 10 m apart need 590 m but the row is 200 m long")]


def test_count_within_slack_is_accepted() -> None:
    rec = example()
    rec["rows"][0]["count"] = 42  # 41 gaps of 5 m: 205 m on a 200 m row
    assert problems(rec) == []


def test_magnetic_without_declination() -> None:
    rec = example()
    del rec["bearings"]["declination_deg"]
    assert problems(rec) == [("record MR-0001", "bearings.declination_deg",
                              "required value is missing")]


def test_bearing_beyond_a_full_circle() -> None:
    rec = example()
    rec["bearings"]["unit"] = "degrees"  # 1500 degrees
    found = problems(rec)
    assert ("record MR-0001", "turning_points[1].bearing",
            "1500 is not below a full circle (360 degrees)") in found


def test_missing_and_non_positive_values() -> None:
    rec = example()
    del rec["provider"]
    rec["rows"][1]["spacing_m"] = 0
    assert problems(rec) == [("record MR-0001", "provider", "required value is missing"),
                             ("record MR-0001", "rows[1].spacing_m", "0 must be greater than 0")]


def test_row_with_both_ends_and_offset() -> None:
    rec = example()
    rec["rows"][1]["start"] = "TP5"
    ((_, fld, reason),) = problems(rec)
    assert fld == "rows[1]" and "either" in reason


def test_unknown_field_and_several_records_all_reported() -> None:
    a = example()
    a["colour"] = "red"
    b = copy.deepcopy(example())
    b["record_id"] = "MR-0002"
    b["rows"][0]["count"] = 100
    with pytest.raises(InvalidInput) as exc:
        parse_text(json.dumps([a, b]), source="two.json")
    got = [(p.where, p.field) for p in exc.value.problems]
    assert got == [("two.json: record MR-0001", "(record)"),
                   ("two.json: record MR-0002", "rows[0].count")]
    assert "colour" in exc.value.problems[0].reason
