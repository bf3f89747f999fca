"""Field forms: XLSForms that pyxform converts (and ODK Validate accepts where Java is
installed), and ODK Central / KoboToolbox exports of submissions made with them going through
review into the store."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pyxform.xls2xform import convert

from mineaction.cli import main
from mineaction.domain.layers import get_layer
from mineaction.store import open_store
from tests.review.test_cli import run

FORMS = [("hazards", None), ("activities", "nts"), ("activities", "ts"),
         ("activities", "clearance"), ("finds", None), ("accidents", None)]
VALIDATE = shutil.which("java") is not None  # ODK Validate runs on Java


def sheet(path: Path, name: str) -> list[dict[str, object]]:
    wb = load_workbook(path, read_only=True)
    rows = list(wb[name].iter_rows(values_only=True))
    wb.close()
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]


@pytest.mark.parametrize(("layer", "kind"), FORMS)
def test_generated_forms_convert(layer: str, kind: str | None, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "form.xlsx"
    args = ["forms", "xlsform", layer, "-o", str(out)] + (["--kind", kind] if kind else [])
    code, text, err = run(capsys, *args)
    assert code == 0, err
    warnings: list[str] = []
    result = convert(xlsform=str(out), validate=VALIDATE, warnings=warnings)
    xform = result.xform
    assert warnings == []
    lyr = get_layer(layer)
    survey = {r["name"]: r for r in sheet(out, "survey")}
    geometry = {"POINT": "geopoint", "MULTIPOLYGON": "geoshape"}[lyr.geometry_type or ""]
    assert survey["geometry"]["type"] == geometry
    assert f'nodeset="/data/geometry" type="{geometry}"' in xform
    for spec in lyr.fields:
        if spec.required and spec.name in survey and survey[spec.name]["type"] != "calculate":
            assert survey[spec.name]["required"] == "yes", spec.name
        if spec.kind == "date" and spec.name in survey:
            assert "today()" in str(survey[spec.name]["constraint"])
            assert re.search(rf'nodeset="/data/{spec.name}"[^>]*constraint="[^"]*today\(\)',
                             xform)
        if spec.minimum is not None and spec.name in survey:
            assert str(survey[spec.name]["constraint"]).startswith(". >=")
        if spec.kind == "enum" and spec.name in survey and spec.enum is not None \
                and survey[spec.name]["type"] != "calculate":
            assert survey[spec.name]["type"] == f"select_one {spec.enum.__name__.lower()}"
            choices = {r["name"] for r in sheet(out, "choices")
                       if r["list_name"] == spec.enum.__name__.lower()}
            assert choices == {m.value for m in spec.enum}
    for lang in ("Azerbaijani (az)", "Armenian (hy)", "Georgian (ka)", "Russian (ru)"):
        assert f'<translation lang="{lang}">' in xform
    if kind:
        assert survey["kind"]["type"] == "calculate"
        assert survey["kind"]["calculation"] == f"'{kind}'"
    assert f"mineaction_{layer}" in xform


def test_forms_refuse_what_they_cannot_make(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "forms", "xlsform", "finds", "--kind", "ts", "-o",
                       str(tmp_path / "f.xlsx"))
    assert code == 2 and "activities only" in err
    code, _, err = run(capsys, "forms", "xlsform", "activities", "--kind", "dig", "-o",
                       str(tmp_path / "f.xlsx"))
    assert code == 2 and "clearance" in err


def _form(tmp_path: Path, capsys: pytest.CaptureFixture[str], layer: str,
          kind: str | None = None) -> Path:
    out = tmp_path / f"{layer}-{kind}.xlsx"
    args = ["forms", "xlsform", layer, "-o", str(out)] + (["--kind", kind] if kind else [])
    assert run(capsys, *args)[0] == 0
    return out


def _questions(form: Path) -> list[str]:
    return [str(r["name"]) for r in sheet(form, "survey")]


def _shape(x: float, y: float, w: float, h: float) -> str:
    """An ODK geoshape: "lat lon alt acc" points separated by ';', closed."""
    pts = [(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)]
    return ";".join(f"{lat} {lon} 120.5 4.0" for lon, lat in pts)


def test_odk_and_kobo_submissions_go_through_review(store_url: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
    db = store_url
    assert run(capsys, "--db", db, "init")[0] == 0
    hz_form = _form(tmp_path, capsys, "hazards")
    cl_form = _form(tmp_path, capsys, "activities", "clearance")
    fd_form = _form(tmp_path, capsys, "finds")
    assert "geometry" in _questions(hz_form) and "recorded_on" in _questions(hz_form)

    # ODK Central CSV: groups joined with '-', meta columns, a geoshape string
    hazards = tmp_path / "hazards.csv"
    with hazards.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["SubmissionDate", "id", "kind", "threat", "contamination", "recorded_on",
                    "name", "geometry", "meta-instanceID", "KEY", "SubmitterName",
                    "ReviewState"])
        w.writerow(["2024-05-21T08:00:00.000Z", "hazards-uuid:aaa", "cha", "high", "ap av",
                    "2024-05-20", "Field by the river", _shape(50.6, 41.2, 0.01, 0.01),
                    "uuid:aaa", "uuid:aaa", "surveyor 1", ""])
        w.writerow(["2024-05-21T08:05:00.000Z", "", "sha", "", "uxo", "2024-05-20",
                    "Orchard", _shape(50.7, 41.2, 0.01, 0.01), "uuid:bbb", "uuid:bbb",
                    "surveyor 1", ""])
    code, out, err = run(capsys, "--db", db, "--as", "alice", "import-submissions",
                         str(hz_form), str(hazards))
    assert code == 0, err
    hz_sub = re.search(r"as (S-\S+)", out).group(1)  # type: ignore[union-attr]
    assert run(capsys, "--db", db, "--as", "bob", "review", "approve", hz_sub)[0] == 0
    with open_store(db) as s:
        hz = {h.id: h for h in s.query("hazards")}
        assert set(hz) == {"hazards-uuid:aaa", "hazards-bbb"}
        assert sorted(map(str, hz["hazards-uuid:aaa"].contamination)) == ["ap", "av"]
        assert hz["hazards-bbb"].geometry.bounds == pytest.approx((50.7, 41.2, 50.71, 41.21))
        sub = s.get("submissions", hz_sub)
        assert (sub.origin.value, sub.form_id) == ("form", "mineaction_hazards")

    # KoboToolbox JSON: group paths, Kobo's own '_' keys, the form's calculated kind
    clearance = tmp_path / "clearance.json"
    clearance.write_text(json.dumps([{
        "_id": 101, "_uuid": "ccc", "formhub/uuid": "x", "meta/instanceID": "uuid:ccc",
        "_submission_time": "2024-05-22T10:00:00", "_geolocation": [41.2, 50.6],
        "id": "activities-uuid:ccc", "kind": "clearance", "task/operator": "OA",
        "task/started_on": "2024-05-01", "task/ended_on": "2024-05-21",
        "task/outcome": "cleared", "task/hazard_id": "hazards-uuid:aaa",
        "geometry": _shape(50.6, 41.2, 0.005, 0.01)}]), encoding="utf-8")
    code, out, err = run(capsys, "--db", db, "--as", "alice", "import-submissions",
                         str(cl_form), str(clearance))
    assert code == 0, err
    cl_sub = re.search(r"as (S-\S+)", out).group(1)  # type: ignore[union-attr]
    code, out, _ = run(capsys, "--db", db, "--as", "bob", "review", "show", cl_sub)
    assert "hazards-uuid:aaa" in out and "cleared" in out
    assert run(capsys, "--db", db, "--as", "bob", "review", "approve", cl_sub, "--note",
               "ok")[0] == 0

    # ODK Central OData JSON: nested groups, the geopoint as GeoJSON
    finds = tmp_path / "finds.json"
    finds.write_text(json.dumps({"value": [{
        "__id": "uuid:ddd", "__system": {"submitterName": "deminer 4"},
        "meta": {"instanceID": "uuid:ddd"},
        "item": {"category": "ap", "model": "PMN-2", "quantity": 3, "found_on": "2024-05-21",
                 "activity_id": "activities-uuid:ccc"},
        "geometry": {"type": "Point", "coordinates": [50.602, 41.205, 118.0],
                     "properties": {"accuracy": 3.2}}}]}), encoding="utf-8")
    code, out, err = run(capsys, "--db", db, "--as", "alice", "import-submissions",
                         str(fd_form), str(finds))
    assert code == 0, err
    fd_sub = re.search(r"as (S-\S+)", out).group(1)  # type: ignore[union-attr]
    assert run(capsys, "--db", db, "--as", "bob", "review", "approve", fd_sub)[0] == 0

    with open_store(db) as s:
        steps = s.query("release-steps")
        assert [(st.hazard_id, str(st.method)) for st in steps] == [
            ("hazards-uuid:aaa", "cleared")]
        find = s.get("finds", "finds-ddd")
        assert (find.quantity, find.activity_id) == (3, "activities-uuid:ccc")
        assert (find.geometry.x, find.geometry.y) == (50.602, 41.205)
        assert s.count("submissions", status="approved") == 3


def test_a_bad_submission_stages_nothing(store_url: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    db = store_url
    assert run(capsys, "--db", db, "init")[0] == 0
    form = _form(tmp_path, capsys, "finds")
    export = io.StringIO()
    w = csv.writer(export)
    w.writerow(["id", "category", "quantity", "found_on", "geometry-Latitude",
                "geometry-Longitude", "geometry-Altitude", "geometry-Accuracy"])
    w.writerow(["F-1", "ap", "1", "2024-05-21", "41.2", "50.6", "0", "5"])
    w.writerow(["F-2", "ap", "-4", "2999-01-01", "41.2", "50.6", "0", "5"])
    w.writerow(["F-3", "ap", "1", "2024-05-21", "", "", "", ""])
    path = tmp_path / "finds.csv"
    path.write_text(export.getvalue(), encoding="utf-8")
    code, _, err = run(capsys, "--db", db, "--as", "alice", "import-submissions", str(form),
                       str(path))
    assert code == 2
    assert "submission 2" in err and "quantity" in err and "found_on" in err
    assert "submission 3" in err and "geometry" in err
    with open_store(db) as s:
        assert s.count("submissions") == 0 and s.count("finds") == 0
    assert main(["--db", db, "review", "list"]) == 0
