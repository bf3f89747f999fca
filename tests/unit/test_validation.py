"""Coercion refuses what a field cannot hold: dates out of their range or with trailing text,
impossible negative numbers, integers beyond 64 bits and text with NUL characters. Each rule is
declared once on the field and shows in docs/formats.md."""

from __future__ import annotations

import datetime as dt

import pytest

from mineaction import domain as d
from mineaction.domain.formats_doc import layers_markdown
from mineaction.domain.layers import all_layers
from mineaction.domain.schema import (
    EARLIEST_DATE,
    INT64_MAX,
    coerce_properties,
    coerce_value,
    field_specs,
    latest_date,
)

TODAY = dt.date(2024, 3, 15)


def spec(record_type, name):
    return {s.name: s for s in field_specs(record_type)}[name]


@pytest.mark.parametrize("raw,expected", [
    ("2023-01-01", dt.date(2023, 1, 1)),
    (" 2023-01-01 ", dt.date(2023, 1, 1)),
    ("2023-01-01T10:30:00", dt.date(2023, 1, 1)),
    ("2023-01-01 10:30", dt.date(2023, 1, 1)),
    ("2023-01-01T23:30:00.250+04:00", dt.date(2023, 1, 1)),
    ("2023-01-01T00:00:00Z", dt.date(2023, 1, 1)),
    (dt.datetime(2023, 1, 1, 5), dt.date(2023, 1, 1)),
    (dt.date(2023, 1, 1), dt.date(2023, 1, 1)),
])
def test_dates_read_strictly_accept_a_date_or_a_datetime(raw, expected):
    assert coerce_value(spec(d.Hazard, "recorded_on"), raw, today=TODAY) == expected


@pytest.mark.parametrize("raw", [
    "2023-01-01garbage", "2023-01-01T", "2023-01-01T25:00", "2023-01-01 10:61", "20230101",
    "2023-1-1", "2023-02-30", "01/02/2023", "2023-01-01T10:00 and more", 20230101,
])
def test_dates_with_anything_else_are_refused(raw):
    with pytest.raises(ValueError, match="expected a date as YYYY-MM-DD"):
        coerce_value(spec(d.Hazard, "recorded_on"), raw, today=TODAY)


def test_event_dates_cannot_lie_in_the_future():
    recorded_on = spec(d.Hazard, "recorded_on")
    # a day ahead is allowed: a record made just after midnight east of the clock's time zone
    assert coerce_value(recorded_on, "2024-03-16", today=TODAY) == dt.date(2024, 3, 16)
    for raw in ("2024-03-17", "9999-12-31", dt.date(2030, 1, 1)):
        with pytest.raises(ValueError, match=r"recorded_on .* after 2024-03-16"):
            coerce_value(recorded_on, raw, today=TODAY)
    for raw in ("1899-12-31", "0001-01-01"):
        with pytest.raises(ValueError, match="before 1900-01-01"):
            coerce_value(recorded_on, raw, today=TODAY)
    assert coerce_value(recorded_on, "1900-01-01", today=TODAY) == EARLIEST_DATE


def test_each_date_field_has_its_own_ceiling():
    events = [(d.Hazard, "recorded_on"), (d.Hazard, "closed_on"), (d.Activity, "started_on"),
              (d.Activity, "ended_on"), (d.Find, "found_on"), (d.Find, "destroyed_on"),
              (d.Accident, "occurred_on"), (d.Victim, "occurred_on"),
              (d.VictimPersonal, "born_on"), (d.RiskEducationSession, "held_on"),
              (d.QualityEvent, "held_on"), (d.Evidence, "recorded_on")]
    for rtype, name in events:
        assert latest_date(spec(rtype, name), TODAY) == dt.date(2024, 3, 16), name
    plan = latest_date(spec(d.Capacity, "period_end"), TODAY)
    assert dt.date(2029, 1, 1) < plan < dt.date(2029, 6, 1)
    with pytest.raises(ValueError, match="period_end"):
        coerce_value(spec(d.Capacity, "period_end"), "2031-01-01", today=TODAY)
    assert coerce_value(spec(d.Capacity, "period_end"), "2026-12-31", today=TODAY)
    # a published target may run decades ahead; the date it was published may not
    from mineaction.domain.figures import PublishedFigure

    assert coerce_value(spec(PublishedFigure, "period_end"), "2040-12-31", today=TODAY)
    with pytest.raises(ValueError, match="as_of"):
        coerce_value(spec(PublishedFigure, "as_of"), "2025-01-01", today=TODAY)


def test_the_clock_is_the_callers():
    recorded_on = spec(d.Hazard, "recorded_on")
    with pytest.raises(ValueError):
        coerce_value(recorded_on, "2025-06-01", today=TODAY)
    assert coerce_value(recorded_on, "2025-06-01", today=dt.date(2025, 6, 1))


@pytest.mark.parametrize("rtype,name,low", [
    (d.Hazard, "estimated_mines", 0), (d.Activity, "depth_cm", 0), (d.Find, "quantity", 1),
    (d.Capacity, "teams", 0), (d.Capacity, "deminers", 0), (d.Capacity, "dogs", 0),
    (d.Capacity, "machines", 0), (d.Capacity, "staff_total", 0),
    (d.RiskEducationSession, "girls", 0), (d.RiskEducationSession, "boys", 0),
    (d.RiskEducationSession, "women", 0), (d.RiskEducationSession, "men", 0),
    (d.QualityEvent, "items_found", 0), (d.AdminArea, "level", 0),
])
def test_impossible_negative_numbers_are_refused_naming_field_and_value(rtype, name, low):
    s = spec(rtype, name)
    assert s.minimum == low
    assert coerce_value(s, str(low), today=TODAY) == low
    with pytest.raises(ValueError, match=rf"{name} must be {low} or more, got {low - 1}"):
        coerce_value(s, str(low - 1), today=TODAY)
    with pytest.raises(ValueError, match=name):
        coerce_value(s, float(low - 5), today=TODAY)


def test_every_count_capacity_quantity_and_area_field_has_a_minimum():
    # a new count or area field without a declared minimum fails here
    for layer in all_layers():
        for s in layer.fields:
            if s.kind in ("integer", "real") and s.name not in ("version", "value"):
                assert s.minimum is not None, f"{layer.name}.{s.name} has no minimum"


def test_minimums_and_date_ranges_are_documented():
    text = layers_markdown()
    assert "| `estimated_mines` | integer, 0 or more |" in text
    assert "| `quantity` | integer, 1 or more |" in text
    assert "| `recorded_on` | date (YYYY-MM-DD), 1900-01-01 to today |" in text
    assert "| `period_end` | date (YYYY-MM-DD), 1900-01-01 to 5 years from today |" in text


def test_integers_must_fit_64_bits():
    s = spec(d.Hazard, "estimated_mines")
    assert coerce_value(s, str(INT64_MAX), today=TODAY) == 2**63 - 1
    for raw in (str(2**63), 2**63, 1e19, "1e30", str(2**64)):
        with pytest.raises(ValueError, match="too large"):
            coerce_value(s, raw, today=TODAY)
    with pytest.raises(ValueError, match="too large"):
        coerce_value(s, -(2**63) - 1, today=TODAY)


def test_text_with_nul_characters_is_refused_naming_the_field():
    values, problems = coerce_properties(field_specs(d.Hazard), {
        "id": "H1", "kind": "sha", "name": "Field\x00 7", "village": "Qara\x00qol",
        "bad\x00column": "x"}, "feature 1", today=TODAY)
    by_field = {p.field: p.reason for p in problems}
    assert "NUL" in by_field["name"]
    assert "NUL" in by_field["village"]
    assert any("NUL" in r for f, r in by_field.items() if f and f.startswith("bad"))
    with pytest.raises(ValueError, match="NUL"):
        coerce_value(spec(d.Hazard, "attributes"), '{"a": "b\x00"}', today=TODAY)
    with pytest.raises(ValueError, match="NUL"):
        coerce_value(spec(d.Hazard, "contamination"), "ap,\x00av", today=TODAY)
    # the six characters of a JSON escape are text like any other
    assert coerce_value(spec(d.Hazard, "attributes"), '{"a": "\\u0000"}', today=TODAY)
