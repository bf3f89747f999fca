"""Field forms: XLSForms made from the layer registry, and the submissions ODK Central and
KoboToolbox export from them, read back as rows of a layer.

A form has one question per field a person in the field enters (the fields the store or the
engine set are left out), its choices from the vocabularies, the geometry as a geopoint,
geotrace or geoshape, required fields and constraints (minimums, no date after today for
something that happened, none before 1900). Labels are in English, with a column for each
language of the region (az, hy, ka, ru) holding the catalogue's translation where one exists,
else the English text. The form's ``form_id`` names the layer (and, for activities, the kind),
so that its submissions find their way back: ``mineaction_<layer>[_<kind>]``.

Exports are read as they come: ODK Central's CSV (groups joined with ``-``, a geopoint split
into ``-Latitude``, ``-Longitude``, ``-Altitude``, ``-Accuracy``) and its JSON (OData:
``{"value": [...]}``, groups nested, geometries as GeoJSON), KoboToolbox's CSV and JSON (groups
joined with ``/``; ``_`` columns are Kobo's own). A geopoint is ``"lat lon alt acc"``, a
geotrace or geoshape ``"lat lon alt acc;lat lon alt acc;..."``; heights and accuracies are
dropped, coordinates are WGS 84.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import LineString, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry

from mineaction.domain.layers import Layer, get_layer
from mineaction.domain.schema import FieldSpec, is_blank
from mineaction.errors import InvalidInput
from mineaction.io.readers import InputFeature, SourceFile
from mineaction.messages import Message, translator

#: The languages of a form besides English: (XLSForm language name, catalogue locale).
LANGUAGES = (("English (en)", "en"), ("Azerbaijani (az)", "az"), ("Armenian (hy)", "hy"),
             ("Georgian (ka)", "ka"), ("Russian (ru)", "ru"))
#: Fields nobody enters in a form: the store, the engine or the import set them.
NOT_ENTERED = frozenset({"id", "source", "attributes", "version", "owner", "country", "src_crs",
                         "crs_operation"})
#: Fields the land release engine sets, per layer.
DERIVED = {"hazards": frozenset({"status", "closed_on", "closed_by"})}
#: The question a geometry is entered with, by the layer's geometry type.
GEOMETRY_QUESTION = {"POINT": "geopoint", "MULTIPOLYGON": "geoshape",
                     "MULTILINESTRING": "geotrace", "GEOMETRY": "geopoint"}
#: Activity kinds a form may be made for (one form per kind).
FORM_KINDS = ("nts", "ts", "clearance", "bac", "eod")
FORM_PREFIX = "mineaction_"
EARLIEST = "1900-01-01"


@dataclass(frozen=True)
class Form:
    """An XLSForm as rows of its three sheets."""

    layer: str
    kind: str | None
    form_id: str
    survey: list[list[Any]]
    choices: list[list[Any]]
    settings: list[list[Any]]


def form_id(layer: str, kind: str | None = None) -> str:
    return FORM_PREFIX + layer.replace("-", "_") + (f"_{kind}" if kind else "")


def _labels(text: str) -> list[str]:
    return [text if code == "en" else translator(code).gettext(text) for _, code in LANGUAGES]


#: Labels where a field's documentation is no question to ask in the field.
LABELS = {"notes": "Notes"}


def _label_of(spec: FieldSpec) -> str:
    return LABELS.get(spec.name) or spec.doc.rstrip(".") or spec.name.replace("_", " ")


def _constraint(spec: FieldSpec) -> tuple[str, str]:
    if spec.kind == "date":
        parts = [f". >= date('{EARLIEST}')"]
        text = f"A date from {EARLIEST}"
        if spec.ahead.days <= 1:
            parts.append(". <= today()")
            text += " to today"
        return " and ".join(parts), text
    if spec.minimum is not None and spec.kind in ("integer", "real"):
        low = int(spec.minimum) if float(spec.minimum).is_integer() else spec.minimum
        return f". >= {low}", f"{low} or more"
    return "", ""


def build(layer: Layer, kind: str | None = None) -> Form:
    """The XLSForm of ``layer`` (for activities, of one ``kind``: nts, ts, clearance, ...)."""
    if kind is not None and layer.name != "activities":
        raise InvalidInput.of("forms.kind_only_activities", layer=layer.name)
    if kind is not None and kind not in FORM_KINDS:
        raise InvalidInput.of("forms.unknown_kind", value=kind, allowed=", ".join(FORM_KINDS))
    fid = form_id(layer.name, kind)
    head = ["type", "name", *[f"label::{lang}" for lang, _ in LANGUAGES],
            *[f"hint::{lang}" for lang, _ in LANGUAGES], "required", "constraint",
            *[f"constraint_message::{lang}" for lang, _ in LANGUAGES], "calculation"]
    survey: list[list[Any]] = [head]
    choices: list[list[Any]] = [["list_name", "name",
                                 *[f"label::{lang}" for lang, _ in LANGUAGES]]]
    blank = [""] * len(LANGUAGES)

    def row(qtype: str, name: str, label: str, *, hint: str = "", required: bool = False,
            constraint: str = "", message: str = "", calculation: str = "") -> list[Any]:
        return [qtype, name, *(_labels(label) if label else blank),
                *(_labels(hint) if hint else blank), "yes" if required else "",
                constraint, *(_labels(message) if message else blank), calculation]

    survey.append(row("calculate", "id", "", calculation=f"concat('{layer.name}-', uuid())"))
    skip = NOT_ENTERED | DERIVED.get(layer.name, frozenset())
    lists: set[str] = set()
    for spec in layer.fields:
        if spec.name in skip or spec.kind == "json":
            continue
        if kind is not None and spec.name == "kind":
            survey.append(row("calculate", "kind", "", calculation=f"'{kind}'"))
            continue
        label = _label_of(spec)
        constraint, message = _constraint(spec)
        if spec.kind in ("enum", "enumset") and spec.enum is not None:
            list_name = spec.enum.__name__.lower()
            qtype = ("select_one " if spec.kind == "enum" else "select_multiple ") + list_name
            if list_name not in lists:
                lists.add(list_name)
                for member in spec.enum:
                    choices.append([list_name, member.value,
                                    *_labels(member.value.replace("_", " "))])
        elif spec.kind == "boolean":
            qtype = "select_one yes_no"
            if "yes_no" not in lists:
                lists.add("yes_no")
                choices.append(["yes_no", "yes", *_labels("yes")])
                choices.append(["yes_no", "no", *_labels("no")])
        else:
            qtype = {"text": "text", "integer": "integer", "real": "decimal",
                     "date": "date"}[spec.kind]
        survey.append(row(qtype, spec.name, label, required=spec.required,
                          constraint=constraint, message=message))
    if layer.geometry_type:
        survey.append(row(GEOMETRY_QUESTION[layer.geometry_type], "geometry",
                          "Location" if layer.geometry_type == "POINT" else "Boundary",
                          required=layer.geometry_required))
    title = layer.title + (f": {kind}" if kind else "")
    settings = [["form_title", "form_id", "version", "default_language"],
                [title, fid, "1", LANGUAGES[0][0]]]
    return Form(layer.name, kind, fid, survey, choices, settings)


def to_xlsx(form: Form) -> bytes:
    """The form as an XLSX workbook (sheets survey, choices, settings)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "survey"
    for name, rows in (("survey", form.survey), ("choices", form.choices),
                       ("settings", form.settings)):
        sheet = ws if name == "survey" else wb.create_sheet(name)
        for r in rows:
            sheet.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class FormInfo:
    """What a form file says of itself: its id, the layer and kind it is for, its fields."""

    form_id: str
    layer: str
    kind: str | None


def read_form(data: bytes, name: str = "form") -> FormInfo:
    """The form id, layer and kind of an XLSForm made by :func:`build` (InvalidInput when it
    is no such form)."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 (zipfile, openpyxl and XML errors alike)
        raise InvalidInput.of("forms.not_xlsform", path=name, reason=str(exc)) from None
    if "settings" not in wb.sheetnames:
        raise InvalidInput.of("forms.no_settings", path=name)
    rows = list(wb["settings"].iter_rows(values_only=True))
    wb.close()
    if len(rows) < 2 or "form_id" not in rows[0]:
        raise InvalidInput.of("forms.no_settings", path=name)
    fid = str(rows[1][list(rows[0]).index("form_id")] or "")
    return parse_form_id(fid, name)


def parse_form_id(fid: str, name: str = "form") -> FormInfo:
    rest = fid[len(FORM_PREFIX):] if fid.startswith(FORM_PREFIX) else None
    if rest:
        if rest.startswith("activities_") and rest[len("activities_"):] in FORM_KINDS:
            return FormInfo(fid, "activities", rest[len("activities_"):])
        try:
            return FormInfo(fid, get_layer(rest.replace("_", "-")).name, None)
        except KeyError:
            pass
    raise InvalidInput.of("forms.unknown_form", path=name, form_id=fid)


# -- submissions exported from ODK Central and KoboToolbox ----------------------------------

#: Columns the servers add to every submission (compared in lower case); ``_`` columns of
#: KoboToolbox and ``__`` ones of ODK Central are left out too.
META = frozenset({"key", "submissiondate", "submitterid", "submittername", "attachmentspresent",
                  "attachmentsexpected", "status", "reviewstate", "deviceid", "edits",
                  "formversion", "instanceid", "instancename", "start", "end", "today",
                  "username", "phonenumber", "simserial", "subscriberid", "audit"})
_SPLIT_POINT = ("latitude", "longitude", "altitude", "accuracy")


def _leaf(key: str) -> str:
    return re.split(r"[/]", key)[-1]


def _flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if isinstance(value, dict) and "type" not in value:
            out.update(_flatten(value, f"{prefix}{key}/"))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _coordinates(text: str) -> list[tuple[float, float]]:
    pts = []
    for part in text.strip().strip(";").split(";"):
        nums = part.split()
        if len(nums) < 2:
            raise ValueError(part)
        lat, lon = float(nums[0]), float(nums[1])
        pts.append((lon, lat))
    return pts


def parse_geometry(value: Any, geometry_type: str | None
                   ) -> tuple[BaseGeometry | None, Message | None]:
    """A form's geometry value (ODK text, or GeoJSON from ODK Central's OData) as a 2D
    geometry in longitude, latitude; or why it cannot be read."""
    if is_blank(value):
        return None, None
    try:
        if isinstance(value, dict):
            return shapely.force_2d(shape(value)), None
        pts = _coordinates(str(value))
        if geometry_type == "POINT" or len(pts) == 1:
            return Point(pts[0]), None
        if geometry_type == "MULTILINESTRING":
            return LineString(pts), None
        if pts[0] != pts[-1]:
            pts.append(pts[0])
        return Polygon(pts), None
    except (ValueError, TypeError, AttributeError, shapely.errors.GEOSException):
        return None, Message.of("forms.bad_geometry", value=str(value)[:80])


def _row(layer: Layer, raw: dict[str, Any], names: set[str], enumsets: set[str]
         ) -> tuple[dict[str, Any], Any, str | None]:
    """One submission's properties (layer field names), its geometry value, its instance id."""
    props: dict[str, Any] = {}
    geometry: Any = None
    split: dict[str, Any] = {}
    instance: str | None = None
    for key, value in _flatten(raw).items():
        leaf = _leaf(key)
        low = leaf.lower()
        if low.split("-")[-1] in ("instanceid", "__id", "_uuid") and not is_blank(value):
            instance = instance or str(value)
        if leaf.startswith("_") or low in META or low.startswith("meta"):
            continue
        dashed = leaf.rsplit("-", 1)
        if len(dashed) == 2 and dashed[1].lower() in _SPLIT_POINT and dashed[0].split(
                "-")[-1] == "geometry":
            split[dashed[1].lower()] = value
            continue
        if leaf not in names and "-" in leaf and leaf.split("-")[-1] in names:
            leaf = leaf.split("-")[-1]  # ODK Central's CSV joins groups with "-"
        if leaf == "geometry":
            geometry = value
            continue
        if leaf in enumsets and isinstance(value, str):
            value = ",".join(value.split())
        props[leaf] = value
    if geometry is None and split.get("latitude") not in (None, ""):
        geometry = f"{split.get('latitude')} {split.get('longitude')}"
    return props, geometry, instance


def read_submissions(data: bytes, name: str, info: FormInfo) -> SourceFile:
    """The submissions of an ODK Central or KoboToolbox export (CSV or JSON, by ``name``'s
    suffix or content) as rows of the form's layer. A row without an id takes one from its
    instance id; a select_multiple answer ("ap av") becomes the layer's comma list."""
    layer = get_layer(info.layer)
    text = data.decode("utf-8-sig")
    rows: list[dict[str, Any]]
    if Path(name).suffix.lower() == ".json" or text.lstrip().startswith(("{", "[")):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput.of("file.not_json", path=name, what=Message.of("forms.export"),
                                  msg=exc.msg, lineno=exc.lineno, colno=exc.colno) from None
        if isinstance(parsed, dict):
            parsed = parsed.get("value", parsed.get("results", [parsed]))
        if not isinstance(parsed, list) or not all(isinstance(r, dict) for r in parsed):
            raise InvalidInput.of("forms.not_submissions", path=name)
        rows = parsed
    else:
        rows = [dict(r) for r in csv.DictReader(io.StringIO(text))]
    names = {s.name for s in layer.fields}
    enumsets = {s.name for s in layer.fields if s.kind == "enumset"}
    src = SourceFile(Path(name), "form submissions", "EPSG:4326", crs_is_default=True)
    for i, raw in enumerate(rows, start=1):
        props, geom_value, instance = _row(layer, raw, names, enumsets)
        if is_blank(props.get("id")) and instance:
            props["id"] = f"{layer.name}-{instance.removeprefix('uuid:')}"
        if info.kind and is_blank(props.get("kind")):
            props["kind"] = info.kind
        where = f"submission {i}" + (f" ({instance})" if instance else "")
        geom, problem = parse_geometry(geom_value, layer.geometry_type)
        src.features.append(InputFeature(where, props, geom, problem))
    return src
