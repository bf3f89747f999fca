"""Messages as codes with parameters: the core says *what* (``value.not_a_date`` with
``value='2023-02-30'``), each interface says it in the reader's language.

:data:`MESSAGES` holds the English text of every code, a :meth:`str.format` template. Other
languages come from gettext catalogues (``mineaction.mo``, made with Babel) whose message ids
are these English texts, so that a translator sees the sentence, not the code. A code without
a template renders as the code and its parameters, which a test forbids for codes the core uses.

Catalogues are looked up in ``$MINEACTION_LOCALEDIR`` (folders separated by ``os.pathsep``),
then in the package's ``locale/`` folder, as ``<folder>/<locale>/LC_MESSAGES/mineaction.mo``
(for "ru_RU", then "ru"). The package holds the translators' ``.po`` files only: a ``.po`` is
compiled (Babel) to its ``.mo`` when first used and whenever it is newer than its ``.mo``, beside
it, or under ``$XDG_CACHE_HOME/mineaction/locale`` when the package folder cannot be written.
``scripts/messages-pot.py`` brings the catalogues up to date with the code (see
:mod:`mineaction.catalogues`).

A message with a ``{count}`` (or ``{n}``) parameter is a plural entry in the catalogues: each
language gives the forms its plural rules (CLDR) need, chosen by that number.

To add a message: add ``"family.what": "English text with {param}"`` to the family's section
below (families in the order they are, codes sorted within each), and raise or report it with
``Problem.of(where, field, "family.what", param=...)`` or ``SomeError.of("family.what",
param=...)``. Parameters are values (names, numbers, dates), never English words: a sentence
that varies gets a code per variant.
"""

from __future__ import annotations

import gettext
import hashlib
import os
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

#: The gettext domain of mineaction's catalogues.
DOMAIN = "mineaction"

#: code -> English template. Codes are dotted: the family first, then what went wrong.
#: Families, in this order: text, input, value., geometry., crs., file., store., import.,
#: report., records., figures., cli., access., audit., review., forms., package., api., intake.,
#: areas., planning., risk., qm., release. (the land release engine's own section), eore.,
#: evidence., surface., web., tiles., workspace., bulk., query., settings.
MESSAGES: dict[str, str] = {
    # -- text. Finished text: a library's message, passed on as it is.
    "text": "{text}",
    # -- input. Input as a whole: how many problems, and that nothing was written; where each is.
    "input.at": "{where}: {reason}",
    "input.at_field": "{where}, field '{field}': {reason}",
    # where a problem is: the row, feature or record of the input named in the reader's language
    "input.where_activity": "activity {id}",
    "input.where_feature": "feature {number}",
    "input.where_feature_id": "feature {number} (id {id})",
    "input.where_inspection": "inspection {id}",
    "input.where_line": "line {number}",
    "input.where_record": "record {id}",
    "input.where_record_number": "record {number} ({id})",
    "input.where_row": "row {number}",
    "input.where_sheet_row": "sheet '{sheet}' row {number}",
    "input.where_table_row": "{table} row {number}",
    "input.problems": "{count} problem(s) in the input; nothing was written",
    "input.problems_head": "{count} problem(s); nothing was written",
    "input.problems_head_in": "{count} problem(s) in {source}; nothing was written",
    "input.problems_more": "... and {count} more",
    # -- value. Field values: types, vocabularies, dates, limits.
    "value.column_twice": ("columns {other!r} and this one both give field {field}: rename one "
                           "(which is meant cannot be told)"),
    "value.below_minimum": "{field} must be {minimum} or more, got {value}",
    "value.date_in_future": ("{field} {value} is after {latest} (it records something that "
                             "happened, which cannot be in the future)"),
    "value.date_too_early": "{field} {value} is before {earliest}, the earliest date accepted",
    "value.date_too_late": "{field} {value} is after {latest} (the latest date this field accepts)",
    "value.ended_before_started": "ended_on is before started_on",
    "value.id_too_long": ("an id of {length} characters; ids and references to them have at most"
                          " {most}"),
    "value.integer_too_large": ("{value} is too large for a whole number (stores keep {least} to "
                                "{most})"),
    "value.not_a_boolean": "expected true or false, got {value!r}",
    "value.not_a_date": "expected a date as YYYY-MM-DD (or an ISO date and time), got {value!r}",
    "value.not_a_number": "expected a number, got {value!r}",
    "value.not_a_whole_number": "expected a whole number, got {value!r}",
    "value.not_finite": "expected a finite number, got {value!r}",
    "value.not_in_vocabulary": "unknown value {value!r}; expected one of {allowed}",
    "value.not_json": "expected JSON: {error}",
    "value.not_unicode": ("text holds a lone surrogate (a broken \\u escape), which is no "
                          "character: {value!r}"),
    "value.not_unicode_column": ("the column's name or value holds a lone surrogate (a broken "
                                 "\\u escape), which is no character"),
    "value.nul_in_name": "text contains a NUL character (\\x00), which no store can keep",
    "value.nul_in_text": ("text contains a NUL character (\\x00), which no store can keep: "
                          "{value!r}"),
    "value.period_end_before_start": "period_end is before period_start",
    "value.quantity_below_one": "quantity must be at least 1",
    "value.required": "required value is missing",
    # -- geometry. Geometries: validity and repair.
    "geometry.bad_positions": "geometry ({kind}): {reason}",
    "geometry.collection_without_list": ("geometry: a GeometryCollection without a 'geometries' "
                                         "list"),
    "geometry.empty": "geometry is empty",
    "geometry.invalid": "{reason}",
    "geometry.lonlat_not_numbers": "{x_column}/{y_column} are not numbers ({x!r}, {y!r})",
    "geometry.missing": "geometry is missing",
    "geometry.no_area": "polygon has no area",
    "geometry.no_coordinates": "geometry: a {kind} without 'coordinates'",
    "geometry.not_a_list": "{where} is not a list: {value}",
    "geometry.mixed_dimensions": ("{where} mixes positions of 2 and 3 numbers (with and "
                                  "without a height): give every position the same"),
    "geometry.not_a_position": "{where} is not a position of 2 or 3 numbers: {value}",
    "geometry.not_geojson": "geometry is not a GeoJSON geometry object: {value}",
    "geometry.not_numbers": "geometry has coordinates that are not numbers",
    "geometry.not_wkt": "geometry is not valid WKT ({error})",
    "geometry.outside_lonlat": ("coordinates are outside longitude/latitude range: is the CRS "
                                "right?"),
    "geometry.repair_collapses": ("repair failed: {before}; the polygon collapses to a line or a "
                                  "point: it has no area to keep. Correct the polygon in a GIS"),
    "geometry.repair_failed": ("repair failed: {before}; no method gives a valid polygon "
                               "({failures}). Correct the polygon in a GIS"),
    "geometry.repair_not_polygon": "repair failed: {before}; only polygons are repaired",
    "geometry.repair_result_invalid": "repair failed: the result {issue}",
    "geometry.repairable": "{issue} (use --repair to repair it)",
    "geometry.too_few_positions": "{where} has {count} position(s); at least {least} are needed",
    "geometry.unknown_type": "geometry type {kind!r} is not a GeoJSON geometry type",
    "geometry.unparsable": "geometry cannot be parsed",
    "geometry.unreadable": "geometry cannot be read as a {kind}: {error}",
    "geometry.wrong_type": "geometry is a {found}; this layer takes {expected}",
    # -- crs. Coordinate reference systems and transformations.
    "crs.assumed_wgs84": ("{file} declares no CRS; read as EPSG:4326 (WGS 84 longitude, "
                          "latitude). Give --crs if it is in another one."),
    "crs.cannot_transform": "cannot transform from {crs}: {error}",
    "crs.datum_chosen": ("{crs} is on another datum than WGS84 and {count} transformations exist "
                         "here; used '{operation}'. Name one to choose another."),
    "crs.degrees_as_projected": ("coordinates look like degrees, but {crs} is in {units}; give "
                                 "--crs EPSG:4326 (or the geographic CRS they are in)"),
    "crs.far_from_territory_swapped": ("longitude and latitude look swapped: {at} is far from the"
                                       " store's administrative areas ({territory}); swapped, it "
                                       "is inside"),
    "crs.no_transformation": "no transformation from {crs} to EPSG:4326 is available offline",
    "crs.operation_not_needed": ("--operation {operation!r} does not apply: the coordinates are "
                                 "read as {crs}, which needs no transformation to EPSG:4326; give"
                                 " --crs with the CRS they are in"),
    "crs.operation_not_available": ("{operation!r} is not among the transformations from {crs} to"
                                    " EPSG:4326 here: {available}"),
    "crs.out_of_range": ("coordinates are outside longitude/latitude range ({at}): is the CRS "
                         "right?"),
    "crs.out_of_range_swapped": ("coordinates are outside longitude/latitude range ({at}); "
                                 "longitude and latitude look swapped"),
    "crs.outside_area": ("{at} is outside the area where {crs} is used ({area}, margin included):"
                         " is the CRS right?"),
    "crs.outside_area_projected": ("it lies at {at} (longitude, latitude), outside the area where"
                                   " {crs} is used ({area}, margin included): is the CRS right?"),
    "crs.outside_area_swapped": ("longitude and latitude look swapped: {at} is outside the area "
                                 "where {crs} is used ({area}, margin included); swapped, it is "
                                 "inside"),
    "crs.read_as_asked": "{file} declares {declared}; read as {chosen} as asked with --crs",
    "crs.unknown": "unknown CRS {value!r}: {error}",
    "crs.unknown_operation": "unknown coordinate operation {operation!r}",
    # -- file. Files read and written: formats, encodings, layers, outputs.
    "file.a_csv": "a CSV file",
    "file.a_geojson": "a GeoJSON file",
    "file.bare_geometry": ("{path}: a bare GeoJSON {kind} without properties; give a "
                           "FeatureCollection of Features, each with its properties"),
    "file.binary": "{path}: {what} (binary content)",
    "file.bom_mismatch": "{path}: {what}: it starts as {encoding} text but is not",
    "file.content_not_named": "{path}: the name says {driver} but the content is {found}",
    "file.csv_empty": "{path}: empty CSV file (no header row)",
    "file.csv_quote_not_closed": ("{path}: not a readable CSV file (line {start}: a quoted value "
                                  "is not closed: a \" opens it and no \" closes it before the end "
                                  "of the file)"),
    "file.csv_unreadable": "{path}: not a readable CSV file (line {start}: {reason})",
    "file.dbf_not_utf8": ("{path}: the text in {dbf_name} is not UTF-8, and the Shapefile does "
                          "not say its encoding (no .cpg file); give its encoding with "
                          "--encoding, e.g. --encoding cp1252 (Windows, western Europe), cp1250 "
                          "(central Europe), cp1251 (Cyrillic)"),
    "file.duplicate_column": ("the name is given to {n} columns ({columns}); each column needs a "
                              "name of its own"),
    "file.duplicate_property": ("the name appears more than once in the feature's properties; "
                                "only one value could be kept"),
    "file.encoding_not_applicable": ("{path}: --encoding applies to CSV, GeoJSON and Shapefile; "
                                     "{found} says its own encoding"),
    "file.encoding_xlsx": "{path}: --encoding does not apply to XLSX (its text is Unicode)",
    "file.features_not_list": "{path}: {what} (its 'features' member is not a list)",
    "file.format_from_name": ("cannot tell the format of {name} from its extension ({suffix}); "
                              "give --format, one of {formats}"),
    "file.formula_without_value": ("formula without a computed value; open and save the file in a"
                                   " spreadsheet program, or paste values"),
    "file.gdal_no_layer": "{path}: not a readable {kind} file (GDAL finds no layer in it)",
    "file.geojson_crs_member": ("{path}: its 'crs' member is not a CRS name ({value}); remove it "
                                "or write the CRS name"),
    "file.json_too_deep": "{path}: {what} (JSON nested too deeply)",
    "file.no_such_layer": "{path}: has no layer {layer!r}; its layers: {layers}",
    "file.no_such_sheet": "{path}: has no sheet {layer!r}; its sheets: {sheets}",
    "file.not_a_feature": "not a GeoJSON Feature ({found})",
    "file.not_an_object": "not a JSON object",
    "file.not_feature_collection": ("{path}: {what} (expected a FeatureCollection or a Feature, "
                                    "found {found})"),
    "file.not_found": "{path}: no such file",
    "file.not_in_encoding": ("{path}: {what}: line {line} is not {encoding} text ({reason}); "
                             "check --encoding"),
    "file.not_json": "{path}: {what} (not JSON: {msg} at line {lineno}, column {colno})",
    "file.not_utf8": ("{path}: {what}: not UTF-8 text (line {line} has the byte 0x{byte:02X}, "
                      "which UTF-8 does not allow there). If it was saved in another encoding, "
                      "give its encoding with --encoding, e.g. --encoding cp1252 (Windows, "
                      "western Europe), cp1250 (central Europe), cp1251 (Cyrillic); or save it as"
                      " UTF-8"),
    "file.not_utf8_csv": ("{path}: {what}: not UTF-8 text (line {line} has the byte 0x{byte:02X},"
                          " which UTF-8 does not allow there). If it was saved in another "
                          "encoding (Excel's plain 'CSV' on Windows saves cp1252), give its "
                          "encoding with --encoding, e.g. --encoding cp1252 (Windows, western "
                          "Europe), cp1250 (central Europe), cp1251 (Cyrillic); or save it as "
                          "UTF-8"),
    "file.nul_value": ("the value holds a NUL character (code 0), which cuts the text in most "
                       "tools; remove it"),
    "file.one_table": "{path}: {what} holds one table; --source-layer {layer!r} does not apply",
    "file.output_folder_missing": "cannot write {path}: the folder {parent} does not exist",
    "file.output_is_folder": "{path} is a folder; give a file name to write",
    "file.output_is_source_store": ("{path} is the store being read; write the output to another "
                                    "file"),
    "file.output_is_store": ("{path} is a mineaction store; it is never overwritten by an output "
                             "(choose another file name)"),
    "file.row_too_long": "row has more values than the header has columns",
    "file.several_sheets": ("{path}: holds {n} sheets with data ({sheets}); choose one with "
                            "--source-layer NAME"),
    "file.several_layers": ("{path}: holds {n} layers ({layers}); choose one with --source-layer "
                            "NAME"),
    "file.shapefile_index": "its index of shapes",
    "file.shapefile_table": "its attribute table",
    "file.sheet_empty": "{path}: the sheet '{title}' is empty (no header row)",
    "file.sidecar_missing": "no {stem}{ext} ({what}) beside it",
    "file.unknown_encoding": "{path}: unknown encoding {encoding!r} (--encoding)",
    "file.unknown_format": "unknown format {fmt!r}; expected one of {formats}",
    "file.unnamed_column": "a value in a column that has no name in the header",
    "file.unnamed_column_xlsx": "a value in a column that has no name in the header row",
    "file.unreadable": "{path}: not a readable {kind} file ({error})",
    "file.utf16_without_bom": ("{path}: {what}: it looks like UTF-16 text without a byte-order "
                               "mark; give --encoding utf-16-le (or utf-16-be), or save it as "
                               "UTF-8"),
    "file.what_csv": "not a CSV file",
    "file.what_geojson": "not a readable GeoJSON file",
    "file.xlsx_unreadable": "{path}: not a readable XLSX file ({error})",
    "file.zip_no_shapefile": "{path}: holds no Shapefile (no .shp file in the zip)",
    "file.zip_several_folders": ("{path}: holds Shapefiles in several folders ({folders}); zip "
                                 "the one to import on its own"),
    "file.zip_sidecar_missing": "no {name}{ext} ({what}) beside it in the zip; add it",
    "file.zip_unreadable": "{path}: not a readable zip file ({error})",
    # -- store. Stores: opening, locking, copying.
    "store.migrated_numeric": ("numeric columns of {count} table(s) declared as 8-byte reals and "
                               "64-bit integers: {tables}"),
    "store.migrated_area": ("corrected area_m2 of {counts}; largest change {change:,.1f} m² on "
                            "{layer} {id}; each record's notes say from what to what"),
    "store.migrated_audit": ("audit log started with a baseline entry for each of {count} stored "
                             "record(s) ({layers})"),
    "store.cannot_connect": "cannot connect to {url}: {error}",
    "store.changed_by_someone": ("{layer} {id!r} was changed by someone else (stored version "
                                  "{stored}, yours {yours}); reload it and apply your change "
                                  "again"),
    "store.copy_not_empty": ("{url} already holds records ({listed}); copy into an empty store, "
                             "or add --into-existing to add to them"),
    "store.copy_same": "source and destination are the same store ({url})",
    "store.demo_needs_empty": ("{url} already holds {layer}; the demo needs an empty store (remove "
                               "the file or give another --db)"),
    "store.gpkg_application_id": ("{path} is an SQLite database but not a GeoPackage (application"
                                  " id {application_id:#x})"),
    "store.gpkg_folder_missing": "{path}: the folder {parent} does not exist",
    "store.gpkg_is_folder": "{path} is a folder, not a GeoPackage file",
    "store.gpkg_no_contents": ("{path} is an SQLite database but not a GeoPackage (it has tables "
                               "and no gpkg_contents)"),
    "store.gpkg_not_sqlite": "{path} is not a GeoPackage (not an SQLite file)",
    "store.gpkg_unreadable": "{path} cannot be read: {error}",
    "store.gpkg_unusable": "{path} is not a usable GeoPackage: {error}",
    "store.id_taken": "{layer}: a record with one of these ids already exists ({error})",
    "store.lock_timeout_setting": ("MINEACTION_LOCK_TIMEOUT must be a number of seconds, got "
                                   "{value!r}"),
    "store.locked": ("{path}: the store is locked by another writer (waited {waited:.0f} s); try "
                     "again later"),
    "store.no_adapter": "no store adapter for {scheme!r} URLs ({url}); known: {known}",
    "store.no_such_record": "no {layer} record with id {id!r}",
    "store.not_initialised": "{url} is not a mineaction store yet: run 'mineaction init'",
    "store.not_postgresql_url": "not a PostgreSQL URL: {url!r}",
    "store.read_only": "this is a read-only session",
    "store.rows_lost": "{name}: {n} rows written but {n2} found",
    "store.schema_newer": ("{url} has schema version {version}, newer than this mineaction "
                           "({latest}): upgrade mineaction"),
    "store.schema_older": ("{url} has schema version {version}; this mineaction needs {latest}: "
                           "run 'mineaction init' to migrate it"),
    # -- import. Imports: rows against the layer and the store, registers and mappings.
    "import.duplicate_id": "duplicate id {id!r} (first at {first})",
    "import.id_exists": "id {id!r} is already in the store",
    "import.mapped_column_missing": "column named in the mapping is missing",
    "import.mapping_not_toml": "{path}: not valid TOML: {error}",
    "import.no_geometry_layer": "layer {layer} has no geometry",
    "import.no_reference": "no {layer} record {id!r}",
    "import.not_importable_hazard_versions": ("cannot be imported: hazard history is derived: the"
                                              " land release engine records each state of a "
                                              "hazard as activities and surveys change it (import"
                                              " the hazards or activities instead)"),
    "import.not_importable_minefield_records": ("cannot be imported: minefield records are "
                                                "checked against their own format; import them "
                                                "with 'mineaction records import FILE'"),
    "import.not_importable_release_steps": ("cannot be imported: release steps are derived: the "
                                            "land release engine records them when activities are"
                                            " imported (import the activities instead)"),
    "import.register_layer": "import-register supports the victims layer, not {layer!r}",
    "import.register_unreadable": "{path}: cannot read: {error}",
    "import.repaired": ("repaired {count} geometry(ies): area {total:+,.1f} m² in all; largest "
                        "relative change at {where}: {before:,.1f} m² -> {after:,.1f} m² "
                        "(x{factor:.2f}); see each record's notes"),
    "import.repaired_from_nothing": ("repaired {count} geometry(ies): area {total:+,.1f} m² in "
                                     "all; largest relative change at {where}: {before:,.1f} m² "
                                     "-> {after:,.1f} m² (it had no area as drawn); see each "
                                     "record's notes"),
    "import.too_large": ("it {size}, more than the {limit_km2:,.0f} km² one record of {layer} may"
                         " cover: check its CRS and polygon, or allow it explicitly "
                         "(--allow-large-release) if it is right"),
    "import.unknown_layer": "unknown layer {layer!r}; expected one of {known}",
    "import.unknown_mapping": "no mapping {name!r}: give a TOML file or one of {known}",
    # -- report. Reports: names, formats, scopes.
    "report.threshold_fixed": ("counts of fewer than {threshold} people are suppressed for you "
                               "(the programme's setting public.suppress_below): another "
                               "threshold ({asked}) is given only to those who read every "
                               "victim counted"),
    "report.no_such_area": "--area {area!r}: no administrative area has this name or id",
    # report.note_*: the notes of reports' tables, in the order the report definitions use them
    "report.note_all_ap_mined_area": ("'All AP mined area' is the land cleared in AP only and "
                                      "in mixed AP and AV polygons. Reduced and cancelled land "
                                      "is never counted as cleared."),
    "report.note_ap_task_area": ("Area is that of whole task polygons (activities) in which at "
                                 "least one AP mine was found, not the area that held AP mines. "
                                 "Items are all those the same activities destroyed; an "
                                 "activity's items count in the district where it released "
                                 "most land."),
    "report.note_areas_by_code": ("{count} area(s) known only by the code the records give (no "
                                  "administrative area of the store has it), shown by that "
                                  "code: {codes}"),
    "report.note_breakdown_withheld": ("breakdown withheld: fewer than {threshold} people in "
                                       "several of its categories and in all, so that any "
                                       "breakdown would identify them"),
    "report.note_candidates_release": ("In all, {count:,} candidate(s) would release {m2} m² "
                                       "(their union)."),
    "report.district_candidates": "{name}: {count:,} cancellation candidate(s)",
    "report.note_capacity_complete": ("Complete: every month in which an operator released land "
                                      "by a kind of work has a capacity record for that operator "
                                      "and kind."),
    "report.note_capacity_gaps": ("{count:,} operator-month(s) of work with no capacity record: "
                                  "capacity is incomplete there, and rates per team-day leave "
                                  "that work out."),
    "report.note_capacity_no_area": ("Capacity records name no area: rates per team-day are "
                                     "given for the whole store only; the rates per task-day "
                                     "below are the area's."),
    "report.note_capacity_no_kind": ("{count:,} capacity record(s) of the period name no kind "
                                     "of work (activity_kind); the latest of each operator is "
                                     "counted under '{label}', never as NTS, TS or clearance "
                                     "capacity."),
    "report.note_capacity_no_kind_counted": ("Capacity records that name no kind of work are "
                                             "counted with their operator's ({label})."),
    "report.note_capacity_stock": ("Capacity is a stock: for each operator and kind of work the "
                                   "latest record ending in the period is shown; records of "
                                   "earlier periods are not added."),
    "report.note_eore_attendances": ("Beneficiaries are attendances: a person at two sessions "
                                     "counts twice. Girls and boys are under 18, women and men "
                                     "18 and over; the four groups are never added into any "
                                     "other group."),
    "report.note_eore_distance": ("Distance on the WGS84 ellipsoid (geodesic, metres) from the "
                                  "session's location to the edge of the nearest open hazard "
                                  "(0 inside one). Bands: under 1 km (< 1,000 m), 1-5 km (1,000 "
                                  "to < 5,000 m), over 5 km (5,000 m or more, or no open hazard "
                                  "within 5 km). --explain gives each session's distance."),
    "report.note_first_shown": "The first {shown} of {count:,} shown.",
    "report.note_item_in_released_land": ("An item found in released land is the gravest "
                                          "failure of quality: the land was released while "
                                          "still holding explosive ordnance."),
    "report.note_items_left_behind": ("Finds (of any activity) in land released earlier by "
                                      "another activity: items the release left behind. Land a "
                                      "failed QC inspection returned to a hazard is not "
                                      "released land; the inspection counts its own items "
                                      "above."),
    "report.note_largest_shown": "The {shown} largest of {count:,} shown.",
    "report.note_no_activities": ("The store holds no land release activities: no productivity "
                                  "can be measured (a store of published figures only has "
                                  "none)."),
    "report.note_no_personal_data": "Personal data of victims is never read for this report.",
    "report.note_no_plan": ("No plan for {year} in the published-figures register (metric "
                            "area_released_target, national, in km², for the country of the "
                            "store's administrative areas)."),
    "report.note_nothing_to_assess": "No open hazard: nothing to assess.",
    "report.note_nothing_to_rank": "No open hazard: nothing to rank.",
    "report.note_productivity_methods": ("Released land here is the sum of the release steps of "
                                         "each activity (per hazard); cancelled, reduced and "
                                         "cleared land are the rates of NTS, TS and "
                                         "clearance/BAC respectively, never added together."),
    "report.note_qc_pass_rate": ("Method: the kind of the activity inspected. The pass rate "
                                 "counts QC inspections that passed or failed, not "
                                 "observations."),
    "report.note_remaining": ("Hazards open at the end of the period, each as it stood that "
                              "day; suspected and confirmed areas are never added together."),
    "report.note_rows_overlap": ("Rows overlap (the same land counts under more than one row): "
                                 "each total of land is the land under all the rows, less than "
                                 "the sum of the rows: {by}."),
    "report.note_state_end": ("Hazards as they stood at the end of the period ({on}): those "
                              "open that day, each with its area that day."),
    "report.note_state_no_emplacement_end": ("Hazards as they stood at the end of the period "
                                             "({on}): those open that day, each with its area "
                                             "that day. Dates of emplacement are not recorded."),
    "report.note_state_no_emplacement_today": ("Hazards as they stand today ({on}), the period "
                                               "having no end: those open, each with its area "
                                               "today. Dates of emplacement are not recorded."),
    "report.note_state_today": ("Hazards as they stand today ({on}), the period having no end: "
                                "those open, each with its area today."),
    "report.note_steps_share_land": ("Release steps hold the same land (an activity over "
                                     "overlapping hazards, or activities outside any hazard on "
                                     "the same ground): each area is that land counted once. "
                                     "The steps' recorded areas add up to more in {count} "
                                     "cell(s): {cells} (the per-hazard figures of released_area "
                                     "count it once per step)."),
    "report.note_suppressed_marks": ("'<{threshold}': fewer than {threshold} people, not shown; "
                                     "'x': {threshold} or more, not shown because a hidden count "
                                     "could be worked out from it and the totals."),
    "report.note_team_days": ("Team-days are teams x calendar days of each capacity record's "
                              "period; n is the number of capacity records (operator-periods). "
                              "Manual, dogs and mechanical are fitted: the record says which "
                              "assets an operator had, not which asset cleared which square "
                              "metre."),
    "report.note_undated_left_out": "{count:,} activity(ies) without a start or end date left out.",
    "report.note_victim_activated_ied": ("Victim-activated improvised devices are AP mines under "
                                         "the Convention."),
    "report.district_open_hazards": "{name}: {count:,} open hazard(s)",
    "report.no_area_recorded": "(no area recorded)",
    # the lines under a chart and the report's list of sources
    "report.chart_source": "Source: {credits}",
    "report.chart_source_synthetic": "Source: {credits} (SYNTHETIC demonstration data)",
    "report.chart_hidden_counts": ("Counts below {threshold} are not shown: a hatched bar spans "
                                   "the range the count lies in (see the key)."),
    "report.chart_key_fewer": "fewer than {limit}, not shown",
    "report.chart_key_more": "{limit} or more, not shown (x)",
    "report.store_records": "mineaction store records",
    "report.no_source": "(no source recorded)",
    "report.source_line": "{layer}: {source}",
    "report.source_line_count": "{layer}: {source} ({count:,} records)",
    "report.unknown": "unknown report {name!r}; expected one of {reports}",
    "report.unknown_format": "unknown report format {fmt!r}; expected one of {formats}",
    # -- records. Minefield records: their format, georeferencing, storage.
    "records.already_withdrawn": "already withdrawn on {on}: {reason}",
    "records.bearing_full_circle": "{bearing:g} is not below a full circle ({circle:g} {unit})",
    "records.below_minimum": "{value!r} must be at least {limit}",
    "records.decide_not_allowed": ("{name} may not decide on proposed corrections of minefield "
                                   "records: IM officers, approvers and administrators do"),
    "records.decided": ("record {id}: the proposed correction was already {decision} by {by} "
                        "on {on}"),
    "records.decision_needs_note": "say why the proposed correction is rejected (--note TEXT)",
    "records.ends_and_offset": "give either 'start' and 'end', or 'offset', not both",
    "records.ends_or_offset": "give either 'start' and 'end', or 'offset'",
    "records.first_mine_beyond": ("the first mine at {first_at_m:g} m lies beyond the row's end "
                                  "({length:.0f} m)"),
    "records.grid_bearings_as_true": ("grid bearings in the geographic CRS {crs} are read as true "
                                      "bearings"),
    "records.id_exists": "is already in the store",
    "records.id_repeated": "appears {n} times in the input",
    "records.id_used_twice": "{id!r} is used twice",
    "records.leg_off_crs": ("a leg of {distance_m:g} m on bearing {bearing:g} from {origin!r} "
                            "ends where the CRS {crs} has no position (check the distance and "
                            "bearing)"),
    "records.mine_off_crs": ("the mine lies where the CRS {crs} has no position (check its "
                             "distance and bearing)"),
    "records.mines_no_perimeter": "the record has mines but no perimeter",
    "records.nested_too_deep": "nested more than {depth} levels deep",
    "records.no_proposal": ("record {id} has no proposed correction to decide on (only a "
                            "correctable record's assessment proposes one)"),
    "records.no_such_record": "no such minefield record",
    "records.not_above": "{value!r} must be greater than {limit}",
    "records.not_finite": "{value!r} is not a finite number",
    "records.not_json": "not JSON: {error}",
    "records.not_unicode": ("holds a lone surrogate (a broken \\u escape), which is no "
                            "character"),
    "records.part_off_crs": "part of the record lies where the CRS {crs} has no position",
    "records.perimeter_repaired": "the perimeter crosses itself; repaired",
    "records.point_defined_later": ("{point!r} is defined only later; a point is reached from a "
                                    "reference point or an earlier turning point"),
    "records.point_from_itself": "turning point {point!r} is reached from itself",
    "records.point_off_crs": ("{point!r} lies where the CRS {crs} has no position (check its "
                              "distance and bearing, or its coordinates)"),
    "records.point_unknown": "{point!r} is neither a reference point nor a turning point",
    "records.position_off_crs": ("({x:g}, {y:g}) is not a position the CRS {crs} can represent "
                                 "(check the coordinates and their order)"),
    "records.reason_required": "say why the record is withdrawn",
    "records.row_no_length": "the row has no length",
    "records.row_off_crs": "the row lies where the CRS {crs} has no position (check its offset)",
    "records.row_off_crs_check": "the row lies where the CRS {crs} has no position (check {what})",
    "records.row_parallel_itself": "a row cannot be parallel to itself",
    "records.row_same_ends": "the row starts and ends at {start!r}: it has no length",
    "records.row_too_short": ("{count} mines {spacing_m:g} m apart need {needed:.0f} m but the "
                              "row is {length:.0f} m long"),
    "records.row_unknown": "{row!r} is not a row of this record",
    "records.rows_offset_circle": "rows are offset from each other in a circle",
    "records.too_deep": "nested too deeply to read (a record has at most {depth} levels)",
    "records.too_few_points": ("fewer than 3 turning points and no 'perimeter': the field has no "
                               "area"),
    "records.transformation_no_position": ("the transformation to WGS84 ({operation}) gives no "
                                           "position for part of the record"),
    "records.unknown_fields": "unknown field(s) {details}",
    "records.unreadable": "cannot be read: {error}",
    "records.warning_of_record": "record {id}: {warning}",
    "records.withdraw_hint": ("a stored record that cannot be read can be withdrawn: mineaction "
                              "records withdraw ID --reason TEXT"),
    # what an assessment read in a record, and why it judged it so
    "records.interp_as_recorded": "as recorded",
    "records.interp_labels": "{labels}",
    "records.interp_not_accepted": "{interpretation} (not accepted)",
    "records.interp_sk42_as_wgs84": "SK-42 coordinates read as WGS84",
    "records.interp_wgs84_as_sk42": "WGS84 coordinates read as SK-42",
    "records.interp_wgs84_as_sk42_grid": "WGS84 coordinates read as SK-42 grid",
    "records.interp_mils": "{actual}-mil bearings read as {read}-mil",
    "records.interp_declination": "declination {recorded:+.1f}° is {found:+.1f}° by the finds",
    "records.interp_magnetic": ("magnetic bearings read as {reference} (declination "
                                "{found:+.1f}° estimated from the finds)"),
    "records.interp_shift": "generic shift {east:+.1f} m east, {north:+.1f} m north",
    "records.interp_rotation": "generic rotation {rotation:+.2f}° about the reference point",
    "records.interp_shift_rotation": ("generic shift {east:+.1f} m east, {north:+.1f} m north, "
                                      "rotation {rotation:+.2f}° about the reference point"),
    "records.interp_scale": "scale {scale:.4f}",
    "records.ev_no_mines": "the record describes no mines",
    "records.ev_matched": ("{matched} of {count} expected mines matched a find within {tol:g} m "
                           "(RMS {rms:.2f} m)"),
    "records.ev_not_found": ("{missing} of {count} mines the record puts on covered ground were "
                             "not found"),
    "records.ev_not_in_record": ("only {matched} of {count} finds inside the field are in the "
                                 "record"),
    "records.ev_not_determined": ("the transform that best explains the finds is not well "
                                  "determined"),
    "records.ev_on_covered": ("{covered} of {count} recorded mines lie on cleared or surveyed "
                              "ground; {matched} found within {tol:g} m under any interpretation"),
    "records.ev_few_covered": ("only {covered} of {count} recorded mines lie on covered ground and "
                               "{matched} finds match"),
    "records.ev_as_recorded": ("as recorded, {matched} match after the best rigid transform "
                               "(shift {shift} m, rotation {rotation}°)"),
    "records.fig_mine_recorded": "expected mine, as recorded",
    "records.fig_mine_corrected": "expected mine, corrected (proposed)",
    "records.fig_find_unmatched": "find (AP/AV), not matched",
    "records.fig_find_matched": "find matched to the record",
    "records.fig_reference": "reference point, as recorded",
    "records.fig_reference_corrected": "reference point, corrected",
    "records.fig_outside": "({count} more finds outside this view)",
    "records.fig_covered": "cleared or surveyed ground",
    "records.fig_perimeter": "perimeter as recorded",
    "records.fig_perimeter_corrected": "perimeter corrected (proposed)",
    "records.fig_east": "metres east of the reference point",
    "records.fig_north": "metres north of the reference point",
    "records.fig_title": ("{id}: {status}, {matched} of {expected} expected mines matched, RMS "
                          "{rms}"),
    "records.fig_interpretation": "interpretation: {interpretation}",
    "records.published_claim": ("Published claim: only about 25% of the minefield records handed "
                                "over proved reliable (V. Huseynov, commonspace.eu, April 2023; "
                                "Mine Action Review, Clearing the Mines 2024, Azerbaijan, citing "
                                "ANAMA)."),
    # -- figures. The published-figures register.
    "figures.column_missing": "column is missing",
    "figures.no_area_name": "no area name",
    "figures.not_a_number": "not a number: {value!r}",
    "figures.note_no_data": ("{mark}: the store holds no records of the figure's kind in its "
                             "country (and area) and period, or knows no such area; no agreement "
                             "is claimed either way."),
    "figures.note_suppressed": ("'<{threshold}': fewer than {threshold} people, not shown; 'x': "
                                "{threshold} or more, not shown because a hidden count could be "
                                "worked out from it (killed + injured = total); no agreement is "
                                "claimed for them."),
    "figures.note_left_out": ("{count:,} {layer} record(s) of {period} could not be placed in a "
                              "country (no administrative area, or one without a country) and "
                              "were left out."),
    "figures.note_left_out_few": ("fewer than {threshold} {layer} records of {period} could not "
                                  "be placed in a country (no administrative area, or one "
                                  "without a country) and were left out."),
    # -- cli. Options of the command line.
    "cli.at_hazards_only": "--at applies to hazards only",
    "cli.bbox_format": "--bbox must be minx,miny,maxx,maxy in degrees, got {value!r}",
    "cli.bbox_min_above_max": "--bbox {value!r}: min is greater than max",
    "cli.bbox_not_finite": "--bbox {value!r}: every value must be a finite number",
    "cli.bbox_out_of_range": ("--bbox {value!r}: longitudes lie in -180..180 and latitudes in "
                              "-90..90 (EPSG:4326)"),
    "cli.figure_suffix": "--figure {path}: give a file ending in {suffixes}",
    "cli.format_needs_output": "--format {format} needs -o FILE",
    "cli.from_after_to": "--from {start} is after --to {end}",
    "cli.metric_format": "--metric must be COLUMN=METRIC:UNIT, got {value!r}",
    "cli.not_a_date": "{option} must be a date as YYYY-MM-DD, got {value!r}",
    "cli.quarter_needs_year": "--quarter needs --year",
    "cli.report_format_unknown": ("cannot tell the report format of {name} from its extension; "
                                  "give --format, one of {formats}"),
    "cli.scale_range": "--scale must be above 0 and at most 1000, got {scale}",
    "cli.truth_is_store": ("--truth must be another file than the store: the truth never goes "
                           "into the operational store"),
    "cli.year_out_of_range": "--year {year}: {error}",
    "cli.where_format": "--where {value!r}: FIELD=VALUE (VALUE may be a comma list)",
    "cli.output_folder_missing": "{path}: the folder {folder} does not exist",
    "cli.no_new_password": ("no password for {id}: set $MINEACTION_NEW_PASSWORD or run in a "
                            "terminal"),
    "cli.token_whose": "say whose token it is: --user USER",
    "cli.no_accounts_yet": ("{db} has no accounts yet: run without --token, or make the first "
                            "administrator with 'mineaction users add'"),
    "cli.no_password": "no password for {id}: set $MINEACTION_PASSWORD or run in a terminal",
    "cli.sign_in": ("{db} has user accounts: say who you are with --as USER (password prompted, or"
                    " $MINEACTION_PASSWORD) or --token TOKEN ($MINEACTION_TOKEN)"),
    "cli.no_signing_key_give": ("no signing key: give --key FILE or set ${key_env} (make one with "
                                "'mineaction audit keygen -o FILE')"),
    "cli.format_table_or_json": "--format {fmt!r}: table or json",
    "cli.since_give_the_time": "--since {text!r}: give the time zone (Z or +HH:MM)",
    "cli.submit_alone": ("--submit stages the file as it is: --mapping, --set, --dry-run, "
                         "--rejects and --retire-missing apply to a direct import"),
    "cli.since_a_date_yyyy": "--since {text!r}: a date YYYY-MM-DD or an ISO 8601 time expected",
    "cli.error": "error:",
    # what an import did, on the screen
    "cli.import_column_kept_personal": ("column {column!r} is not in the mapping: kept with each "
                                        "record's personal data"),
    "cli.import_column_kept": ("column {column!r} is not in the mapping: kept in each record's "
                               "attributes"),
    "cli.import_values_unmapped": ("values the mapping does not translate (field, column, value:"
                                   " rows):"),
    "cli.import_counts": ("{added:,} new, {changed:,} changed, {unchanged:,} unchanged, "
                          "{missing:,} missing"),
    "cli.import_retired": "({retired:,} retired)",
    "cli.import_rejected": "{rejected:,} row(s) rejected",
    "cli.import_of_rows": "(of {rows:,} rows)",
    "cli.import_dry_run": "dry run of {file}, nothing written: {counts}",
    "cli.imported": "imported {count} {layer} record(s) from {file}",
    "cli.imported_crs": "imported {count} {layer} record(s) from {file} from {crs}",
    "cli.imported_crs_operation": ("imported {count} {layer} record(s) from {file} from {crs} via"
                                   " {operation}"),
    "cli.import_recorded": "{counts}; recorded as import {import_id} (SHA-256 {sha256})",
    "cli.import_dates": "dates found: {first} to {last}",
    "cli.import_released": "land released, {method}: {area:,.0f} m²",
    "cli.import_missing": "missing from the file (kept; --retire-missing retires them): {shown}",
    "cli.import_missing_more": ("missing from the file (kept; --retire-missing retires them): "
                                "{shown} and {more:,} more"),
    "cli.problem_count": "{count:,} problem(s)",
    "cli.wrote_problems": "wrote {count} problem(s) to {path}",
    "cli.wrote_rejects": "wrote {count} rejected row(s) to {path}",
    # the tables of summary and plan rank, on the screen
    "cli.synthetic_data": "(synthetic data)",
    "cli.settings_title": "Programme settings",
    "cli.settings_key": "setting",
    "cli.settings_value": "value",
    "cli.settings_default": "default",
    "cli.settings_about": "what it does",
    "cli.settings_default_value": "{value} (default)",
    "cli.settings_unchanged": "{key}: unchanged",
    "cli.settings_set": "{key} set to {value}",
    "cli.settings_changed": "{key} changed from {before} to {value}",
    "cli.settings_unset": "{key}: {before} removed, its default applies again",
    "cli.summary_layers": "Records per layer",
    "cli.summary_hazard_area": "Hazardous area (m² on the WGS84 ellipsoid)",
    "cli.summary_released": ("Land released, by method (never summed into 'cleared'; land "
                             "released by two steps counted once)"),
    "cli.summary_finds": "Explosive ordnance found, by category",
    "cli.head_layer": "layer",
    "cli.head_records": "records",
    "cli.head_kind": "kind",
    "cli.head_status": "status",
    "cli.head_hazards": "hazards",
    "cli.head_area_m2": "area_m2",
    "cli.head_method": "method",
    "cli.head_steps": "steps",
    "cli.head_category": "category",
    "cli.head_items": "items",
    "cli.rank_title": "Open hazards ranked ({count:,}; score 0-100 = sum of the parts)",
    "cli.head_rank": "rank",
    "cli.head_hazard": "hazard",
    "cli.head_district": "district",
    "cli.head_km2": "km²",
    "cli.head_score": "score",
    # warnings, conflicts and problems on the screen, and the review commands
    "cli.warning": "warning:",
    "cli.conflict": "conflict:",
    "cli.problem": "problem:",
    "cli.submitted": "submitted {count} {layer} record(s) from {file} for review as {id}",
    "cli.review_title": "Submissions ({count:,})",
    "cli.head_id": "id",
    "cli.head_submitted_by": "submitted by",
    "cli.head_organisation": "organisation",
    "cli.head_submitted_at": "submitted at",
    "cli.head_decided_by": "decided by",
    "cli.submission_pending": "pending",
    "cli.submission_approved": "approved",
    "cli.submission_rejected": "rejected",
    "cli.review_head": "{count} {layer} record(s), {status}",
    "cli.review_submitted": "submitted by {who} at {at} ({origin})",
    "cli.review_submitted_for": "submitted by {who} for {org} at {at} ({origin})",
    "cli.review_decided": "{status} by {who} at {at}: {note}",
    "cli.review_new": "new: {count}",
    "cli.review_update": "update: {id} (stored version {version})",
    "cli.review_released": "Land that would be released (m² on the WGS84 ellipsoid)",
    "cli.outside_hazards": "(outside any hazard)",
    "cli.review_conflict": "{key} was version {then}, is version {now} now",
    "cli.review_conflict_gone": "{key} was version {then}, is gone now",
    "cli.approved": "approved {id}: {written} new and {updated} updated {layer} record(s)",
    "cli.rejected": "rejected {id}",
    "cli.no_figure_withdrawn": "no figure drawn: record {id} is withdrawn",
    # the records commands
    "cli.wrote": "wrote {path}",
    "cli.records_imported": "imported {count} minefield record(s): {ids}",
    "cli.withdrawn_not_georeferenced": "{count} withdrawn record(s) not georeferenced: {ids}",
    "cli.withdrawn_not_assessed": "{count} withdrawn record(s) not assessed: {ids}",
    "cli.head_record": "record",
    "cli.head_crs": "crs",
    "cli.head_transformation": "transformation",
    "cli.head_area": "area m²",
    "cli.head_rows": "rows",
    "cli.head_mines": "mines",
    "cli.head_warnings": "warnings",
    "cli.head_matched": "matched",
    "cli.head_shift": "shift E/N m",
    "cli.head_rotation": "rotation °",
    "cli.head_rms": "RMS m",
    "cli.head_interpretation": "interpretation",
    "cli.no_transformation": "(none: WGS84)",
    "cli.none": "(none)",
    "cli.record_reliable": "reliable",
    "cli.record_correctable": "correctable",
    "cli.record_unreliable": "unreliable",
    "cli.record_unverified": "unverified",
    "cli.records_shares": "{count} record(s): {shares}",
    "cli.records_reliable_share": ("reliable as written: {reliable:.0%} of the records that could "
                                   "be judged; usable (reliable or correctable): {usable:.0%}. "
                                   "{comparison}"),
    "cli.record_from": "from {provider}",
    "cli.record_received": "received {date}",
    "cli.record_laid": "laid {date}",
    "cli.record_document": "document: {document}; source: {source}",
    "cli.record_crs": "CRS {crs} to WGS84 by {operation}; bearings {reference} in {unit}",
    "cli.record_declination": "declination {declination:+g}°",
    "cli.record_size": "{rows} row(s), {mines} mine(s), perimeter {area:,.0f} m²",
    "cli.record_stored_assessment": "stored assessment ({date}): {status}",
    "cli.record_now": ("now: {status}, {matched} of {expected} matched; interpretation: "
                       "{interpretation}"),
    "cli.record_withdrawn": "{id} from {provider}: withdrawn on {date}: {reason}",
    "cli.record_last_assessment": "last assessment before it was withdrawn ({date}): {status}",
    "cli.record_kept": "kept as received; no longer georeferenced or assessed",
    "cli.record_decision_accepted": "proposed correction accepted by {who} on {date}",
    "cli.record_decision_rejected": "proposed correction rejected by {who} on {date}",
    "cli.record_decision_wrote": "wrote {change}",
    "cli.record_decided": "minefield record {id}:",
    "cli.record_withdrew": "withdrew minefield record {id} on {date}: {reason}",
    # plan forecast, backtest and schedule
    "cli.synthetic_banner": "SYNTHETIC DATA",
    "cli.no_forecast": ("No forecast: the store holds no land release history (activities and "
                        "release steps) to measure productivity, survey shares and capacity "
                        "from."),
    "cli.released_per_year": "Released per year (record, km²): {years}",
    "cli.forecast_title": "Forecast by scenario (P10 / P50 / P90)",
    "cli.forecast_open": "open land at the start, km²",
    "cli.forecast_completion": "completion year",
    "cli.forecast_within": "runs complete within the horizon",
    "cli.forecast_cost": "cost, million USD",
    "cli.forecast_released": "released {year}, km²",
    "cli.forecast_note": ("Completion: open land under 1% of the land open at the start. Cost: "
                          "team-days used x the scenario's cost per team-day (the record holds "
                          "no costs). Released land adds cancelled, reduced and cleared land "
                          "(per hazard)."),
    "cli.forecast_missing": "Not in the record (defaults used): {missing}",
    "cli.targets_title": "Published targets and estimates beside the forecast",
    "cli.head_figure": "figure",
    "cli.head_metric": "metric",
    "cli.head_value": "value",
    "cli.head_country": "country",
    "cli.head_basis": "basis",
    "cli.head_verdict": "verdict",
    "cli.head_why": "why",
    "cli.fan_chart_title": "Land released per year: record and forecast",
    "cli.no_fan_chart": "No fan chart: there is no forecast of the store's own record to draw.",
    "cli.no_backtest": "No backtest: {missing}.",
    "cli.backtest_title": "Backtest: land released per year, km²",
    "cli.head_cutoff": "cut-off",
    "cli.head_seed": "seed",
    "cli.head_year": "year",
    "cli.head_actual": "actual",
    "cli.head_inside": "inside",
    "cli.yes": "yes",
    "cli.no": "no",
    "cli.backtest_coverage": ("coverage of P10-P90: {coverage:.0%} of {count} points (cut-offs "
                              "{cutoffs}; seeds {seeds})"),
    "cli.backtest_error": ("P50 error: median |P50 - actual| / actual {error:.0%}, median signed "
                           "{bias:+.0%}"),
    "cli.backtest_ahead": "{ahead} year(s) ahead: {coverage:.0%} of {count}",
    "cli.schedule_title": "Schedule {first} to {last} ({count:,} tasks)",
    "cli.head_start": "start",
    "cli.head_end": "end",
    "cli.head_team_days": "team-days",
    "cli.head_expected_km2": "expected km² released",
    "cli.method_clearance": "clearance",
    "cli.schedule_by_year": ("Expected release by year, km² (cancelled / reduced / cleared): "
                             "{years}"),
    "cli.schedule_unscheduled": "{count:,} hazard(s) still have work left after {month}.",
    # report, hazard, qm and demo
    "cli.wrote_explanation": "wrote the explanation of {count} cell(s) to {path}",
    "cli.hazard_head": "{kind} {status}",
    "cli.hazard_head_closed": "{kind} {status}, closed {date} by {who}",
    "cli.head_seq": "seq",
    "cli.head_date": "date",
    "cli.head_change": "change",
    "cli.head_released_m2": "released m²",
    "cli.head_remaining_m2": "remaining m²",
    "cli.head_activity": "activity",
    "cli.head_inspection": "inspection",
    "cli.head_source": "source",
    "cli.rejected_by": "rejected by {id}",
    "cli.hazard_areas": ("original {original:,.1f} m²; released {released:,.1f} m²; remaining "
                         "{remaining:,.1f} m²"),
    "cli.hazard_areas_returned": ("original {original:,.1f} m²; released {released:,.1f} m²; "
                                  "returned by failed QC inspections {returned:,.1f} m²; "
                                  "remaining {remaining:,.1f} m²"),
    "cli.hazard_polygon": "current polygon: {wkt}",
    "cli.qm_nothing": "No activity released land in this selection: nothing to inspect.",
    "cli.qm_title": ("Inspection plans: LQ {lq:.1%}, confidence {confidence:.0%}, acceptance "
                     "number 0, plots of {plot:,.0f} m²"),
    "cli.head_operator": "operator",
    "cli.head_lot_m2": "lot m²",
    "cli.head_lot_plots": "lot plots",
    "cli.head_faulty": "faulty at LQ",
    "cli.head_sample_plots": "sample plots",
    "cli.head_sample_m2": "sample m²",
    "cli.head_share": "share",
    "cli.head_p_accept": "P(accept at LQ)",
    "cli.qm_total": "{count} lots, {plots:,} plots, {area:,.0f} m² to inspect",
    "cli.qm_recorded": "recorded {id}",
    "cli.qm_closed": "closed {id} ({severity}) on {date}: {action}",
    "cli.qm_certificate": "wrote {path}: certificate {number}, SHA-256 {checksum}",
    "cli.qm_verified": "certificate {number} verified: SHA-256 {checksum}",
    "cli.qm_altered": "altered or not a certificate:",
    "cli.demo_title": "{db}: synthetic scenario, seed {seed}, scale {scale:g}",
    "cli.demo_territory": "territory",
    "cli.demo_sites": "{count} contaminated site(s); survey and land release",
    "cli.demo_writing": "writing the store and the truth file",
    "cli.demo_bar_hazards": "hazards",
    "cli.demo_bar_release": "land release",
    "cli.demo_bar_finds": "finds",
    "cli.progress_importing": "importing {layer}",
    "cli.progress_copying": "copying",
    "cli.register_source": "source: {credit}",
    # -- the demo's map (mineaction demo --figure)
    "cli.map_synthetic": ("SYNTHETIC DEMONSTRATION DATA — a fictional territory at sea, not a "
                           "real place"),
    "cli.map_seed": "seed {seed}, scale {scale:g}",
    "cli.map_whole": "Whole territory",
    "cli.map_closeup": "Close-up of the belt (about 6 x 6 km)",
    "cli.map_longitude": "longitude (°E)",
    "cli.map_latitude": "latitude (°N)",
    "cli.map_land": "land (fictional)",
    "cli.map_farmland": "farmland",
    "cli.map_pasture": "pasture",
    "cli.map_forest": "forest",
    "cli.map_front_line": "former front line",
    "cli.map_belt": "defensive belt (5 km)",
    "cli.map_main_road": "main road",
    "cli.map_local_road": "local road",
    "cli.map_river": "river",
    "cli.map_district_boundary": "district boundary",
    "cli.map_sha": "open hazard, suspected (SHA)",
    "cli.map_cha": "open hazard, confirmed (CHA)",
    "cli.map_closed": "closed hazard",
    "cli.map_cancelled": "cancelled by NTS",
    "cli.map_reduced": "reduced by TS",
    "cli.map_cleared": "cleared",
    "cli.map_find": "find (item found by clearance)",
    "cli.map_accident": "accident",
    "cli.map_row": "true row of mines (truth)",
    "cli.map_site": "true site outline (truth)",
    "cli.map_left_behind": "mine left behind in released land (truth)",
    "cli.map_position": "fortified position (truth)",
    "cli.head_truth": "ground truth",
    "cli.demo_truth_title": "{path} (separate from the store)",
    "cli.head_land_km2": "land (km², WGS84 ellipsoid)",
    "cli.head_area_word": "area",
    "cli.demo_areas_title": "hazards and release, from the store",
    "cli.demo_records": "{count} minefield records in {folder}",
    "cli.demo_records_imported": "{count} minefield records in {folder} (imported into the store)",
    "cli.demo_map": "map: {path}",
    "cli.demo_synthetic": ("all data is synthetic: a fictional territory at sea (50.3-51.7 E, "
                           "40.9-41.9 N), sources marked 'synthetic:'"),
    # figures, packages, copy, areas, forms, risk
    "cli.figures_imported": "imported {count} published figure(s) from {file}",
    "cli.figures_imported_table": "imported {count} figure(s) from {file}",
    "cli.figures_title": "Published figures ({count})",
    "cli.head_unit": "unit",
    "cli.head_period": "period",
    "cli.head_qualifier": "qualifier",
    "cli.conflicts_title": "Conflicting published figures ({count})",
    "cli.head_figures": "figures",
    "cli.head_values": "values",
    "cli.head_sources": "sources",
    "cli.head_difference": "difference",
    "cli.totals_title": "Breakdowns against published totals",
    "cli.head_whole": "whole",
    "cli.head_parts": "parts",
    "cli.head_sum_parts": "sum of parts",
    "cli.head_published": "published",
    "cli.head_agrees": "agrees",
    "cli.compare_title": "Computed against published",
    "cli.head_place": "place",
    "cli.head_computed": "computed",
    "cli.package_table_rows": "{table}: {count} rows",
    "cli.package_written": ("wrote {path} for {recipient} (agreements {agreements}); package "
                            "SHA-256 {digest}, signed with key {key}"),
    "cli.refused": "refused:",
    "cli.package_ok": ("OK: {file} from {source} to {recipient}, exported {at}; {tables} tables, "
                       "{rows} rows; signed with key {key}; package SHA-256 {digest}"),
    "cli.package_added": "{table}: {count} added",
    "cli.package_replaced": "{table}: {count} replaced (an earlier package of {source})",
    "cli.package_unchanged": "{table}: {count} already imported from this package",
    "cli.package_counts_only": "{table}: counts only, not imported",
    "cli.package_imported": "imported package {digest} from {source}: {count} records written",
    "cli.copy_title": "{source} → {target}",
    "cli.copied": "copied {count} records in {layers} layers",
    "cli.areas_fit": "{name}: {count} areas fit; give one of their ids",
    "cli.areas_score": "score {score:.0f}",
    "cli.areas_assigned": ("{layer}: assigned {assigned}, in no area {unassigned}, unchanged "
                           "{unchanged}"),
    "cli.areas_would_assign": ("{layer}: would assign {assigned}, in no area {unassigned}, "
                               "unchanged {unchanged}"),
    "cli.areas_steps": "release steps given their hazard's area: {count}",
    "cli.areas_in_none": "in no stored area: {id}",
    "cli.form_written": "wrote {form} ({count} questions) to {path}",
    "cli.risk_trained": ("wrote {path}, model card {card}: blocked cross-validation ({folds} "
                         "folds), mean ROC AUC {auc}, mean average precision {ap}"),
    "cli.risk_scored": "wrote {path}: {count:,} rows",
    # accounts, audit, risk rank-hazards
    "cli.new_password": "new password for {id}",
    "cli.user_added": "user {id} added ({roles}, {organisation})",
    "cli.users_title": "Users",
    "cli.head_user": "user",
    "cli.head_name": "name",
    "cli.head_roles": "roles",
    "cli.head_state": "state",
    "cli.head_created": "created",
    "cli.disabled": "disabled",
    "cli.user_enabled": "user {id} enabled",
    "cli.user_disabled": "user {id} disabled",
    "cli.password_changed": "password of {id} changed",
    "cli.user_roles": "user {id}: {roles}",
    "cli.organisation_added": "organisation {id} added ({kind}, {country})",
    "cli.no_country": "no country",
    "cli.organisations_title": "Organisations",
    "cli.head_kind_of": "kind",
    "cli.token_made": "token {id} for {user}, valid until {date}; it is shown this once:",
    "cli.tokens_title": "Tokens",
    "cli.head_label": "label",
    "cli.head_expires": "expires",
    "cli.head_revoked": "revoked",
    "cli.token_revoked": "token {id} revoked",
    "cli.agreement_made": "agreement {id}: {grantor} shares {layer} with {grantee} ({precision})",
    "cli.agreements_title": "Data-sharing agreements",
    "cli.head_grantor": "grantor",
    "cli.head_grantee": "grantee",
    "cli.head_precision": "precision",
    "cli.head_from": "from",
    "cli.head_to": "to",
    "cli.agreement_revoked": "agreement {id} revoked",
    "cli.audit_empty": "(empty log)",
    "cli.audit_checkpoint": "checkpoint {id} signs head {seq}:{hash} with key {key}",
    "cli.audit_keygen": ("wrote {private} (private: keep it off the store's host) and {public}; "
                         "key {key}"),
    "cli.head_at_utc": "at (UTC)",
    "cli.head_actor": "actor",
    "cli.head_action": "action",
    "cli.head_before": "before",
    "cli.head_after": "after",
    "cli.head_detail": "detail",
    "cli.audit_entries": "{count} entry(ies)",
    "cli.rank_surface": ("{kind} {area:,.0f} m²: mean {mean}, max {max} ({count:,} cell(s))"),
    "cli.surface_written": ("wrote {path}: {width:,} x {height:,} cells of {resolution:g} m in "
                            "{crs}, {inside:,} inside the territory, {count:,} window(s); mean "
                            "probability {mean}"),
    "cli.rank_surface_touched": ("{kind} {area:,.0f} m²: mean {mean}, max {max} ({count:,} "
                                 "cell(s), touched)"),
    # init, export, problems by reason, interruptions, risk features
    "cli.init_current": "{db}: already at schema version {version}",
    "cli.init_created": "{db}: created (schema version {version})",
    "cli.init_migrated": "{db}: migrated from {before} to {version}",
    "cli.init_migration": "schema migration {version}: {change}",
    "cli.problems_by_reason": "problems by reason:",
    "cli.for_example": "e.g. {problem}",
    "cli.exported": "wrote {count} {layer} record(s) to {path}",
    "cli.interrupted": "interrupted",
    "cli.aborted": "aborted",
    "cli.unexpected": "unexpected {what}; details in {log}",
    "cli.unexpected_no_log": "unexpected {what}; no log file could be written",
    "cli.features_written": "{count:,} row(s), {features:,} feature(s) -> {path}",
    "cli.verdict_consistent": "consistent",
    "cli.verdict_not_consistent": "not consistent",
    "cli.verdict_not_computable": "cannot be computed",
    "cli.basis_forecast": "store forecast",
    "cli.basis_published": "published figures",
    # hazards assess, as text
    "cli.recommend_confirm": "confirm (SHA to CHA)",
    "cli.recommend_keep": "keep",
    "cli.recommend_cancel": "cancel by non-technical survey",
    "cli.assess_group": "{recommendation}: {count:,} hazard(s), {km2:,.3f} km²",
    "cli.assess_hazard": ("{kind} {district} {area:,.0f} m²: {recommendation} (direct "
                          "{direct:.2f}, indirect {indirect:.2f})"),
    "cli.shown_of": "{shown:,} of {count:,} shown (--limit 0: all)",
    # -- access. Accounts, sign-in, policy and sharing.
    "access.admins_only": "only administrators {what} ({name} is not one)",
    "access.password_short": "a password has at least {minimum} characters",
    "access.unknown_role": "unknown role {value!r}; expected one of {allowed}",
    "access.no_role": "give at least one role",
    "access.bad_org_id": "organisation id {value!r}: letters, digits, '.', '_', '@', '-'",
    "access.unknown_org_kind": "unknown kind {value!r}; expected one of {allowed}",
    "access.bad_country": ("country {value!r}: an ISO 3166-1 alpha-2 code (two letters; XA-XZ for "
                           "a user-assigned one, as the demo's XV)"),
    "access.no_org": "no organisation {id!r}: add it first (mineaction orgs add)",
    "access.first_account": "the first account is made by whoever holds the store",
    "access.first_not_admin": ("the first account must have the admin role: otherwise nobody could"
                               " manage the store's accounts"),
    "access.bad_user_name": "user name {value!r}: letters, digits, '.', '_', '@', '-' (at most 64)",
    "access.user_exists": "user {id!r} exists already",
    "access.no_user": "no user {id!r}",
    "access.last_admin": ("{id} is the last administrator: give another account the admin role "
                          "first"),
    "access.last_enabled_admin": "{id} is the last enabled administrator",
    "access.token_days": "a token is valid 1 to {maximum} days, not {value}",
    "access.no_token": "no token {id!r}",
    "access.no_credentials": "give a user name and a password, or a token",
    "access.wrong_credentials": "wrong user name or password",
    "access.account_disabled": "the account {id} is disabled",
    "access.self_agreement": "an organisation already reads its own records",
    "access.never_shared": "{layer} is never shared by an agreement",
    "access.unknown_precision": "unknown precision {value!r}; expected one of {allowed}",
    "access.grid_needs_size": "the grid precision needs a cell size: --grid-km N",
    "access.grid_size_alone": "--grid-km goes with the grid precision only",
    "access.valid_to_before_from": "valid_to is before valid_from",
    "access.bad_where": "--where: {reason}",
    "access.revoke_needs_reason": "say why the agreement is revoked (--reason TEXT)",
    "access.no_agreement": "no agreement {id!r}",
    "access.already_revoked": "{id} was revoked on {on}",
    "access.no_personal_reads": ("{name} may not read personal data: only IM officers and "
                                 "administrators read it, and only when they ask for it: "
                                 "'--personal --reason TEXT' on the command line, personal=True "
                                 "with a reason in code; every such read is recorded"),
    "access.personal_needs_reason": ("reading personal data needs a reason (--reason TEXT), which "
                                     "is recorded with the read"),
    "access.read_only_role": "{name} may not write: analysts and the public read only",
    "access.admins_write": "{layer}: only administrators write it",
    "access.personal_write": ("{layer} holds personal data: only IM officers and administrators "
                              "write it"),
    "access.may_not_change": ("{name} may not change {layer} {id}: records are changed by their "
                              "owner, an IM officer or approver of their country's authority, or "
                              "an administrator"),
    "access.counts_only": ("{layer}: only counts are shared with this actor; ask for counts or "
                           "sums (aggregate), not records"),
    "access.hidden_field": "{layer}: cannot {what} {field!r}, a field this actor does not see",
    "access.admins_migrate": "only administrators migrate a store",
    "access.admins_settings": "only administrators change the programme's settings",
    "access.bad_token": "unknown, expired or revoked token",
    # -- audit.
    "audit.audit_record_needs_a": "audit.record needs a write transaction (this one only reads)",
    "audit.keeps_no_audit_log": "{value} keeps no audit log",
    "audit.head_seq_hash_expected": ("--head {text!r}: SEQ:HASH expected, as 'mineaction audit "
                                     "head' prints it"),
    "audit.must_be_at_least": "{every_env} must be at least 1, got {n}",
    "audit.key_exists": "exists already: choose another name or remove it first",
    "audit.not_private_key": "not an unencrypted PEM private key ({reason})",
    "audit.not_public_key": "not a PEM public key ({reason})",
    "audit.not_ed25519": "holds a {kind}, not an Ed25519 key",
    "audit.must_be_a_whole": "{every_env} must be a whole number of entries, got {every!r}",
    # -- audit verify: what the chain and the records are found to be
    "audit.ok_empty": "audit log OK: empty",
    "audit.ok_entries": "audit log OK: {count} entry(ies) checked ({span}); head {head}",
    "audit.span_none": "none from entry {seq}",
    "audit.span_one": "entry {seq}",
    "audit.span_many": "entries {first}-{last}",
    "audit.no_checkpoint": "no checkpoint",
    "audit.checkpoints_trusted": ("{count} checkpoint(s) verified, the last at entry {last}, "
                                  "signed with {keys} (trusted key)"),
    "audit.checkpoints_untrusted": ("{count} checkpoint(s) verified, the last at entry {last}, "
                                    "signed with {keys} (key stored with it (not checked "
                                    "against a trusted key: pass --trust))"),
    "audit.broken": "audit log BROKEN at entry {seq}: {problem}",
    "audit.start_missing": "entry {seq} is missing, so verification cannot start at {start}",
    "audit.missing_one": "entry {seq} is missing (deleted): the log goes on at entry {next}",
    "audit.missing_many": ("entries {first}-{last} are missing (deleted): the log goes on at "
                           "entry {next}"),
    "audit.inserted_before": ("entry {seq} was inserted: the entry after it was entry {seq} "
                              "before, and follows entry {prev}"),
    "audit.renumbered": ("the entry stored as {seq} was entry {moved} (its content hashes to "
                         "that number): entries were renumbered, inserted, deleted or reordered "
                         "here"),
    "audit.changed": "entry {seq} was changed: its content no longer hashes to its stored hash",
    "audit.inserted": "entry {seq} was inserted: entry {next} follows entry {prev}",
    "audit.not_following": ("entry {next} no longer follows entry {seq}: entry {seq} was "
                            "rewritten with its hash recomputed, or entries were removed or "
                            "moved here"),
    "audit.not_the_head": ("entry {seq} does not have the hash of the exported head ({hash}): "
                           "the log was rewritten at or before it"),
    "audit.ends_before_head_one": ("the log ends at entry {last}, before the exported head "
                                   "({head}): entry {first} was deleted"),
    "audit.ends_before_head_many": ("the log ends at entry {last}, before the exported head "
                                    "({head}): entries {first}-{head} were deleted"),
    "audit.checkpoint_unreadable": "checkpoint {seq} has no readable signature block",
    "audit.checkpoint_bad": "checkpoint {seq}: {problem}",
    "audit.checkpoint_moved": ("checkpoint {seq} signs entry {signed}, not the entry before it: "
                               "it was moved"),
    "audit.rewritten_one": ("the chain no longer hashes to the head signed by checkpoint {seq} "
                            "(entry {signed}): entry {first} was rewritten since it was signed"),
    "audit.rewritten_many": ("the chain no longer hashes to the head signed by checkpoint {seq} "
                             "(entry {signed}): entries {first}-{last} were rewritten since it "
                             "was signed"),
    "audit.signature_malformed": "its signature block is malformed ({error})",
    "audit.signature_bad": "its signature does not verify with the key it carries ({key})",
    "audit.signature_untrusted": ("it is signed with key {key}, which is not one of the trusted "
                                  "keys ({trusted})"),
    "audit.records_ok": "records OK: each of {count} stored record(s) is as the log last wrote it",
    "audit.records_differ": "records DIFFER from the log: {parts}",
    "audit.records_changed": ("{count} changed outside mineaction (not as last logged): "
                              "{shown}"),
    "audit.records_unlogged": "{count} stored but never logged: {shown}",
    "audit.records_missing": "{count} logged but no longer stored: {shown}",
    "audit.records_gaps": ("{count} logged write(s) found the record changed since its previous "
                           "entry: {shown}"),
    "audit.record_at": "{layer} {id} (entry {seq})",
    "audit.and_more": "{shown} and {count} more",
    # -- review.
    "review.already_decided": "{id} is {status} already ({by}, {at})",
    "review.approvers_only": ("{name} may not approve or reject submissions: approvers and "
                              "administrators do"),
    "review.changed_since": ("{id} was checked against records changed since ({count}): "
                             "{records}; reject it and submit it again"),
    "review.no_submission": "no submission {id!r}",
    "review.no_trial": "what approving would release cannot be tried by this actor: {reason}",
    "review.not_importable": ("submissions are made with 'import --submit' and "
                              "'import-submissions', never imported"),
    "review.own_submission": "{name} submitted this and may not approve or reject it",
    "review.personal_layer": ("{layer} holds personal data and is not submitted for review: "
                              "IM officers import it"),
    "review.reject_needs_note": "say why the submission is rejected (--note TEXT)",
    "review.unknown_status": "unknown status {value!r}; expected one of {allowed}",
    # -- forms.
    "forms.bad_geometry": ("{value!r} is not a geopoint, geotrace or geoshape ('lat lon alt acc', "
                           "several separated by ';')"),
    "forms.export": "an ODK Central or KoboToolbox export",
    "forms.kind_only_activities": "--kind goes with activities only, not {layer}",
    "forms.no_settings": "{path}: no settings sheet with a form_id: not an XLSForm of mineaction",
    "forms.not_submissions": "{path}: not a list of submissions",
    "forms.not_xlsform": "{path}: not an XLSX workbook ({reason})",
    "forms.unknown_form": ("{path}: form_id {form_id!r} is not a form of mineaction "
                           "(mineaction_LAYER or mineaction_activities_KIND)"),
    "forms.unknown_kind": "unknown kind {value!r}; expected one of {allowed}",
    # -- package.
    "package.bad_record": "not a record of its layer ({reason})",
    "package.bad_signature": ("the manifest's signature does not verify with key {key}: the "
                              "manifest or its signature was changed after signing"),
    "package.id_taken": ("{layer} {id} exists already and was not received from {source}: "
                         "nothing was imported"),
    "package.layer_not_shared": "no agreement active on {day} shares {layer} with {org}",
    "package.manifest_no_text": "the manifest row holds no manifest text",
    "package.manifest_not_canonical": ("the manifest is not in its canonical form: it was "
                                       "changed after signing"),
    "package.manifest_rows": "{count} manifest rows where a package has exactly one",
    "package.manifest_unreadable": "the manifest cannot be read ({reason})",
    "package.no_manifest": "no {table} table: not an exchange package",
    "package.no_org": "no organisation {id!r}",
    "package.not_a_package": "not a GeoPackage",
    "package.nothing_shared": ("no agreement active on {day} shares anything with {org}: "
                               "nothing exported"),
    "package.other_key": "signed with key {signed}, not with the key given ({given})",
    "package.row_count": "table {table}: {found} rows where the manifest says {expected}",
    "package.table_changed": ("table {table}: its content is not what the manifest's SHA-256 "
                              "says: changed after signing"),
    "package.table_unreadable": "table {table} cannot be read ({reason})",
    "package.tables_differ": ("its tables are not the manifest's (missing: {missing}; not in the"
                              " manifest: {extra})"),
    "package.unreadable": "the package cannot be read ({reason})",
    "package.unknown_layer": "table {table} holds layer {layer!r}, unknown to this mineaction",
    "package.wrong_format": "format {found}, expected {expected}",
    # -- api.
    "api.bad_parameter": "parameter {name}: {error}",
    "api.bbox_format": ("bbox must be minx,miny,maxx,maxy (four numbers, or six with heights), "
                        "got {value!r}"),
    "api.bbox_min_above_max": "bbox {value!r}: min is greater than max",
    "api.bbox_not_finite": "bbox {value!r}: every value must be a finite number",
    "api.bbox_out_of_range": "bbox {value!r} lies outside the coordinate system's area",
    "api.crs_not_offered": "{param} {value!r} is not offered; offered: {allowed}",
    "api.datetime_format": ("datetime {value!r}: a date or date-time (RFC 3339), or an interval "
                            "START/END with '..' for an open end"),
    "api.datetime_reversed": "datetime {value!r}: the interval ends before it starts",
    "api.filter_crs": "filter-crs {value!r}: filters are read in CRS84 only",
    "api.filter_function": "filter: function {name!r} is not offered",
    "api.filter_lang": "filter-lang {value!r} is not offered; use cql2-text",
    "api.filter_property": ("filter: {name!r} is not a queryable of {collection}; queryables: "
                            "{allowed}"),
    "api.filter_syntax": "filter is not CQL2 text: {error}",
    "api.format_unknown": "f={value!r}: json or html",
    "api.if_match_required": ("say which version of {id} this decides on: send the header "
                              "If-Match with its ETag"),
    "api.method_not_allowed": "method {method} is not allowed here",
    "api.no_collection": "no collection {id!r}",
    "api.no_feature": "{collection} has no feature {id!r}",
    "api.no_resource": "no resource at {path}",
    "api.offset_range": "offset must be 0 to {maximum}, got {value}",
    "api.server_error": "internal error; the server log has the details",
    "api.sign_in": ("this is not public: sign in with an API token (header 'Authorization: "
                    "Bearer TOKEN')"),
    "api.version_stale": ("{id} is at version {current} now, not {version}: read it again "
                          "before deciding"),
    # -- intake.
    "intake.system_column_ignored": ("column {column!r} is named like a field the store sets "
                                     "itself: its values are not imported (rename the column "
                                     "to keep them in each record's attributes)"),
    "intake.missing_unknown_rejected": ("{where} was rejected and names no record: no stored "
                                        "record is taken as missing, nor retired, in this "
                                        "import"),
    "intake.changed_not_reapplied": ("{count} changed {layer} record(s) got a new version; "
                                     "land already released by them is not released again"),
    "intake.personal_not_compared": ("the personal data the file holds for {count} stored "
                                     "{layer} record(s) was neither compared with the stored "
                                     "nor written: that needs reading personal data "
                                     "('--personal --reason TEXT', IM officers and "
                                     "administrators)"),
    "intake.geometry_unreadable": "cannot read a geometry from {column}: {error}",
    "intake.hazard_released": ("hazard {id!r} has had land released from it: its polygon and "
                               "status change through activities and surveys, not a re-import"),
    "intake.mapping_conversion": "unknown conversion {conversion!r} (known: {known})",
    "intake.mapping_geometry": "give lon and lat, or wkt: the columns the geometry comes from",
    "intake.mapping_id": "an id table needs hash = [columns] (or give a template text)",
    "intake.mapping_no_source": ("say where the value comes from: column, value, template or "
                                 "year (a date_format needs a column)"),
    "intake.mapping_other_layer": "the mapping is for layer {declared!r}, not {layer!r}",
    "intake.mapping_pattern": "not a regular expression: {error}",
    "intake.mapping_required_unmapped": ("required field is not mapped, and the file has no "
                                         "column of its name"),
    "intake.mapping_unit": "unknown unit {unit!r} (known: {known})",
    "intake.mapping_unknown_field": "layer {layer} has no such field",
    "intake.mapping_unknown_key": "unknown key (known: {known})",
    "intake.mapping_unknown_section": "unknown section (known: {known})",
    "intake.not_importable_provenance": ("cannot be imported: every import records itself and "
                                         "the changes it makes"),
    "intake.retired_note": "retired by import {import_id} on {date}: no longer in the source",
    # the credit line of an import (a report's sources and the line under its charts)
    "intake.credit": ("{what} (file {file}, SHA-256 {sha256}, {rows:,} rows; imported "
                      "{imported})"),
    "intake.credit_day": ("{what} (file {file}, SHA-256 {sha256}, {rows:,} rows, {first}; "
                          "imported {imported})"),
    "intake.credit_span": ("{what} (file {file}, SHA-256 {sha256}, {rows:,} rows, {first} to "
                           "{last}; imported {imported})"),
    "intake.set_not_field_value": "--set {item!r}: expected FIELD=VALUE",
    "intake.value_unmapped": "value {value!r} is not in the mapping for {field} (known: {known})",
    "intake.value_unreadable": "cannot read {field} from {value!r}: {error}",
    # -- areas.
    "areas.ambiguous_name": ("{name!r} may name {count} administrative areas: {candidates}; "
                             "give one of their ids"),
    "areas.breakdown_unknown": ("--by {by}: report {report} has no such breakdown (casualties "
                                "has: {known})"),
    "areas.duplicate_name": ("warning: {count} administrative areas are named {name!r}: "
                             "{areas}; tell them apart by id (or parent)"),
    "areas.no_such_area": "{name!r}: no administrative area has this name or id",
    "areas.not_placed_layer": ("{layer}: not a layer whose records are placed in an area by "
                               "their geometry ({known})"),
    "areas.placed": ("{count} of {total} record(s) placed in the smallest administrative area "
                     "containing them (noted on each)"),
    "areas.unknown_area": "no administrative area {id!r} in admin-areas",
    # -- planning.
    # notes of the planning ranking and schedule (they reach the ranked-tasks report)
    "planning.note_no_places": ("No places (settlements, returns) were given: the people "
                                "criterion is 0 for every hazard (pass --places FILE with a "
                                "population column)."),
    "planning.note_no_productivity": ("The record gives no productivity: the cost criterion is "
                                      "0 for every hazard."),
    "planning.note_no_risk": ("No hazard carries a risk estimate (risk_score): the risk "
                              "criterion scores every hazard as missing."),
    "planning.note_nothing_to_schedule": ("The store holds no open hazard the actor may see: "
                                          "nothing to schedule."),
    "planning.note_capacity_of_year": "Capacity: the record's {year} team-days, a twelfth a month.",
    "planning.note_not_scheduled": ("No productivity or capacity for: {methods}; that work is "
                                    "not scheduled."),
    "planning.bad_list": "{option} takes whole numbers separated by commas, not {value}",
    "planning.bad_month": "not a month (YYYY-MM): {value}",
    "planning.bad_population": "{where}: {field} is not a number of people: {value}",
    "planning.bad_scenario": "the scenario cannot be read: {error}",
    "planning.bad_team_days": "not METHOD=TEAM-DAYS (methods nts, ts, clearance): {value}",
    "planning.bad_toml": "the TOML file cannot be read: {error}",
    "planning.bad_weights": "{key} in the weights file must be a table, with a weight of 0 or "
                            "more",
    "planning.unknown_criterion": "unknown criterion {name}; criteria: {criteria}",
    "planning.unknown_keys": "unknown keys in the file: {keys}",
    "planning.unknown_method": "unknown method {method}; methods: {methods}",
    "planning.weights_layout": "a weights file holds [criteria.NAME] tables and nothing else",
    # the fan chart of a forecast
    "planning.chart_record": "released (record)",
    "planning.missing_productivity": "m² per team-day ({method})",
    "planning.missing_capacity": "team-days of a complete year",
    "planning.missing_shares": "how survey divided hazards' land",
    "planning.missing_discoveries": "land found hazardous each year",
    "planning.missing_history": "land released year by year",
    "planning.backtest_two_years": "the record has fewer than two complete years of land release",
    "planning.chart_year": "year",
    "planning.chart_released": "land released, km² a year (cancelled + reduced + cleared)",
    "planning.chart_synthetic": "{title} (SYNTHETIC DATA)",
    # why a published target or estimate is, or is not, consistent with the forecast
    "planning.why_released_record": "released in {year}: {km2:,.1f} km² (the record)",
    "planning.why_released_band": ("{year}: P10-P90 {p10:,.1f}-{p90:,.1f} km², P50 {p50:,.1f}; "
                                   "{share:.0%} of runs reach {value:,.0f} {unit}"),
    "planning.why_done_by": ("done by {deadline} counting from {base}; completion P10/P50/P90 "
                             "{c10}/{c50}/{c90} ({share:.0%} of runs complete within the "
                             "horizon)"),
    "planning.why_no_cost": ("no cost per square metre or per team-day is known for this basis "
                             "(the register holds none)"),
    "planning.why_cost": ("cost to completion P10/P50/P90 {k10:,.0f}/{k50:,.0f}/{k90:,.0f} "
                          "{unit} (costs per team-day are the scenario's assumptions)"),
    "planning.why_released_span_record": "released {first}-{last}: {km2:,.1f} km² (the record)",
    "planning.why_released_span": ("released {first}-{last}: P10-P90 {p10:,.0f}-{p90:,.0f} km², "
                                   "P50 {p50:,.0f}"),
    "planning.why_released_span_unknown": ("released {first}-{last}: P10-P90 {p10:,.0f}-"
                                           "{p90:,.0f} km², P50 {p50:,.0f}; nothing known of "
                                           "{years} (counted as 0)"),
    "planning.why_no_rule": "no rule for the metric {metric}",
    "planning.why_no_history": "the store holds no land release history to forecast from",
    "planning.why_no_register": ("the register holds no national contaminated area "
                                 "(contaminated_area_*) or no land released in a stated year "
                                 "(area_released_all_eo) for {country}"),
    # -- risk.
    "risk.absent_indicators": ("{count} indicator column(s) absent from the table, counted as "
                               "0: {names}"),
    "risk.absent_numeric": ("{count} numeric feature column(s) absent from the table: {names}; "
                            "refused, since a value missing in every row would send every "
                            "row down the same branch of the trees (--absent-numeric missing "
                            "sets them missing)"),
    "risk.absent_numeric_missing": ("{count} numeric feature column(s) absent from the table, "
                                    "set missing in every row: {names}"),
    "risk.bad_block_size": "the block size must be more than 0 km, got {value}",
    "risk.bad_calibration": "unknown calibration {value!r}: isotonic, platt or none",
    "risk.bad_coordinates": "not a longitude and latitude: {lon}, {lat}",
    "risk.bad_label": "label {value!r} is neither 1, 0 nor unknown (-1 or empty)",
    "risk.bad_sidecar": "not the sidecar of a risk model of format {format}",
    "risk.extra_columns": "{count} column(s) the model does not use, ignored: {names}",
    "risk.no_column": "no column {column!r} in the table",
    "risk.no_features": "the table has no numeric column to use as a feature",
    "risk.no_model": ("no risk model here: the LightGBM model file and its sidecar {sidecar} "
                      "are both needed"),
    "risk.not_numbers": "column {column!r}: {count} value(s) are not numbers, taken as missing",
    "risk.not_numeric": "column {column!r} is not numeric and cannot be a feature",
    "risk.one_class": "the {rows} rows with a known label are all of one class: nothing to learn",
    "risk.too_few_blocks": ("{blocks} block(s) for {folds} folds: blocked cross-validation "
                            "needs at least 2 (smaller blocks, or another group column)"),
    "risk.transfer_needs_groups": ("--transfer needs --groups: the column whose values are the "
                                   "groups (municipalities) of the training region"),
    "risk.unknown_dropped": "{count} row(s) with an unknown {target} were not used",
    # -- qm.
    "qm.cert_checksum_mismatch": ("the attached content does not match the checksum: "
                                  "expected {expected}, found {actual}"),
    "qm.cert_lot_rejected": ("the land activity {activity_id!r} released was returned to a "
                             "hazard by failed QC inspection(s) {inspections}: there is "
                             "nothing to hand over"),
    "qm.cert_no_checksum": "no certificate checksum in the file's metadata",
    "qm.cert_no_content": "no certificate content attached to the file",
    "qm.cert_not_canonical": "the attached content is not in canonical form",
    "qm.cert_text_mismatch": "the printed certificate does not say {line!r}",
    "qm.close_already_closed": "{event_id!r} was closed already, on {closed_on}",
    "qm.close_before_raised": ("a non-conformity cannot close ({closed_on}) before it was "
                               "raised ({held_on})"),
    "qm.close_needs_action": "say what corrective action was taken (--corrective-action TEXT)",
    "qm.close_no_nonconformity": ("{event_id!r} raised no non-conformity (it has no severity): "
                                  "there is nothing to close"),
    "qm.confidence_range": "the confidence must lie between 0 and 1 (exclusive), got {confidence}",
    "qm.fail_needs_activity": "a failed QC inspection names the activity whose land it rejects",
    "qm.lq_range": "the limiting quality must lie between 0 and 1 (exclusive), got {lq}",
    "qm.no_released_land": "activity {activity_id!r} released no land: there is no lot to inspect",
    "qm.no_such_activity": "no activity has the id {activity_id!r}",
    "qm.no_such_event": "no QA visit or QC inspection has the id {event_id!r}",
    "qm.nothing_to_reject": ("activity {activity_id!r} holds no released land that is not "
                             "rejected already"),
    "qm.plot_range": "the sample plot area must be above 0 m², got {plot_m2}",
    "qm.reopened": "lot rejected: land returned to {count} hazard(s): {ids}",
    "qm.reopened_new": "lot rejected: land released outside any hazard is now {count} new "
                       "hazard(s): {ids}",
    # -- release.
    "release.activities_overlap": ("warning: {count} pair(s) of activities overlap: {pairs}; "
                                   "land both released is counted once in reports of land"),
    "release.closed": "closed {count} hazard(s): {ids}",
    "release.created": "created {count} hazard(s): {ids}",
    "release.dated_before_change": ("dated {on}, before the last recorded change to hazard "
                                    "{hazard_id} ({last}); import activities in date order"),
    "release.hazard_exists": "hazard {hazard_id!r} already exists",
    "release.hazards_overlap": ("warning: {count} pair(s) of open hazards overlap: {pairs}; land "
                                "in an overlap is released from each hazard and counted in "
                                "each"),
    "release.held_twice": ("{method}: the steps' areas add up to {steps_m2:,.1f} m², "
                            "{extra_m2:,.1f} m² of it held by more than one step"),
    "release.land_released_twice": ("warning: land released twice: {extra_m2:,.1f} m² in {count} "
                                     "pair(s) of release steps: {pairs}; reports of land count it "
                                     "once, released_area and per-hazard figures once per step"),
    "release.no_such_hazard": "no hazards record {hazard_id!r}",
    "release.outside_no_hazard": ("overlaps no open hazard; if it released land outside any "
                                  "recorded hazard (battle area clearance, for example), set "
                                  "outside_hazard to true"),
    "release.released": "released {steps} step(s): {land}",
    "release.survey_needs_hazard": "a survey result {result!r} needs the hazard's id",
    "release.undated_after_change": ("without a date, after the last recorded change to hazard "
                                     "{hazard_id} ({last}); import activities in date order"),
    # -- eore.
    "eore.breakdown_unknown": "--by {by}: the eore report breaks down further by: {known}",
    # -- evidence.
    "evidence.bad_bbox": "not W,S,E,N in degrees: {value}",
    "evidence.bad_points": "{where}: a points file needs numeric columns lon and lat",
    "evidence.bad_probability": "not a probability from 0 to 1: {value}",
    "evidence.bad_toml": "the weights file cannot be read: {error}",
    "evidence.bad_weight": "{key} in the weights file must be a number of 0 or more, or a "
                           "table of them",
    "evidence.cha_kept": ("{hazard} is a confirmed hazardous area: kept for technical survey "
                          "or clearance, never cancelled by non-technical survey"),
    "evidence.direct_below_confirm": ("direct evidence of {points} point(s), below the "
                                      "{threshold} that confirm a hazard"),
    "evidence.direct_evidence": "direct evidence: {source} {what} ({count}: {ids}), {points} "
                                "point(s)",
    "evidence.indirect_below_cancel": ("indirect evidence of {points} point(s), below the "
                                       "{threshold} that keep a hazard"),
    "evidence.indirect_evidence": "indirect evidence: {source} {what}, {points} point(s)",
    "evidence.no_cells": "no cell or point to compute features for (check --bbox or --points)",
    "evidence.no_direct_evidence": "no direct evidence of explosive ordnance in or at {hazard}",
    "evidence.no_records": ("the store holds no minefield records: no hazard has that direct "
                            "evidence"),
    "evidence.no_risk": ("no risk estimate was given (--risk CSV): the risk weight adds "
                         "nothing"),
    "evidence.no_statements": ("the store's evidence layer is empty: no witness statement "
                               "counts"),
    "evidence.no_territory": ("the store holds no administrative area: no territory to cut "
                              "into cells (give --points)"),
    "evidence.risk_columns": "{where}: a risk CSV needs the columns hazard_id and probability",
    "evidence.unknown_key": "unknown key {key} in the weights file",
    "evidence.unknown_section": "unknown section {name} in the weights file; sections: "
                                "{sections}",
    # -- surface.
    "surface.bad_bbox": "bad --bbox {value}: give W,S,E,N in degrees, west below east and "
                        "south below north",
    "surface.bad_resolution": "a resolution of {value} m: give a positive number of metres",
    "surface.bad_tile": "tiles of {value} cells: the side of a tile is a multiple of 16",
    "surface.empty_area": "the territory and the bbox do not meet: no cell to compute",
    "surface.no_crs": "{path} has no coordinate reference system: it is no risk surface",
    "surface.no_surface": "no risk surface at {path}",
    "surface.no_territory": ("the store holds no administrative area: no territory to cover "
                             "(give --bbox)"),
    "surface.unreadable": "{path} is not a risk surface GDAL reads: {reason}",
    # -- web.
    # -- tiles.
    "tiles.no_matrix_set": "no tile matrix set {id!r}: tiles are served in WebMercatorQuad",
    "tiles.no_tile": "collection {id} has no tile at zoom {zoom}, row {row}, column {col}",
    "tiles.no_tileset": "no collection {id!r} served as tiles",
    "tiles.zoom_out_of_range": ("collection {id} is served as tiles at zooms {min} to {max}, "
                                "not {zoom}"),
    # -- workspace.
    "workspace.bad_form_token": ("the form's token does not match the session: reload the "
                                  "page and send the form again"),
    # -- bulk.
    # -- query.
    # -- settings. The programme's settings of what the public sees.
    "settings.about_grid_km": ("size in km of the grid cells in which the public sees hazards "
                               "and released land (polygons: grid)"),
    "settings.about_point_km": ("size in km of the cells to whose centre the public sees "
                                "accidents snapped"),
    "settings.about_polygons": ("how the public sees hazards and released land: grid (cells of "
                                "grid_km) or admin (their administrative area)"),
    "settings.about_suppress_below": ("counts of people below this are suppressed in what the "
                                      "public reads"),
    "settings.not_a_choice": "expected one of {choices}, got {value!r}",
    "settings.not_a_number": "expected a number of km, got {value!r}",
    "settings.not_an_integer": "expected a whole number, got {value!r}",
    "settings.out_of_range": "expected {low} to {high}, got {value!r}",
    "settings.unknown_key": "no setting {key!r}; the settings are {known}",
}


def locale_dirs() -> list[Path]:
    """Folders searched for catalogues, in order."""
    dirs = [Path(d) for d in os.environ.get("MINEACTION_LOCALEDIR", "").split(os.pathsep) if d]
    return [*dirs, Path(__file__).with_name("locale")]


@lru_cache(maxsize=4096)
def plural_param(template: str) -> str | None:
    """The parameter that chooses a plural form of ``template``: ``count``, else ``n``, when
    the template names it; None for a message without plural forms."""
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return next((p for p in ("count", "n") if p in names), None)


def cache_dir() -> Path:
    """Where catalogues are compiled when the package folder cannot be written."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mineaction" / "locale"


def compiled(po: Path) -> Path:
    """The ``.mo`` of the catalogue ``po``, compiled (Babel) when it is missing or older than
    the ``.po``: beside it, else in :func:`cache_dir` under a name made of the ``.po``'s
    content (so that a changed ``.po`` is compiled again)."""
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        return mo
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    data = po.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:16]
    cached = cache_dir() / f"{po.parent.parent.name}-{digest}.mo"
    if cached.exists() and not os.access(po.parent, os.W_OK):
        return cached
    with open(po, "rb") as fh:
        catalog = read_po(fh)
    for target in (mo, cached):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            part = target.with_name(f"{target.name}.{os.getpid()}.part")
            with open(part, "wb") as out:
                write_mo(out, catalog)
            os.replace(part, target)  # whole or not at all, also when two processes compile
            return target
        except OSError:
            continue
    raise OSError(f"cannot write {mo} nor {cached}")


def _candidates(locale: str) -> list[str]:
    """"ru-RU" -> ["ru_RU", "ru"]; "ru" -> ["ru"]."""
    name = locale.replace("-", "_")
    return list(dict.fromkeys([name, name.split("_")[0]]))


def _catalogue(locale: str, dirs: tuple[Path, ...]) -> gettext.GNUTranslations | None:
    for name in _candidates(locale):
        for d in dirs:
            base = d / name / "LC_MESSAGES"
            po, mo = base / f"{DOMAIN}.po", base / f"{DOMAIN}.mo"
            path = compiled(po) if po.is_file() else mo if mo.is_file() else None
            if path is not None:
                with open(path, "rb") as fh:
                    return gettext.GNUTranslations(fh)
    return None


@lru_cache(maxsize=64)
def _translation(locale: str, dirs: tuple[Path, ...]) -> gettext.NullTranslations:
    return _catalogue(locale, dirs) or gettext.NullTranslations()


def translator(locale: str) -> gettext.NullTranslations:
    """The gettext translation for ``locale`` ("de", "ru_RU"; the identity when there is no
    catalogue for it)."""
    return _translation(locale, tuple(locale_dirs()))


def say(template: str, params: Mapping[str, Any], locale: str) -> str:
    """``template`` in ``locale``, not yet formatted: its plural form for the number of
    :func:`plural_param` when the catalogue gives plural forms, else its one translation;
    where ``locale`` has none, English's plural form ("1 problem" for "{count} problem(s)",
    from the English catalogue), else the template itself."""
    t = translator(locale)
    name = plural_param(template)
    n = params.get(name) if name else None
    counted = n if isinstance(n, int) and not isinstance(n, bool) else None
    if counted is not None:
        found = t.ngettext(template, _NO_PLURAL, counted)
        if found is not _NO_PLURAL and found != template:
            return found
    said = t.gettext(template)
    if counted is not None and said == template:
        found = translator("en").ngettext(template, _NO_PLURAL, counted)
        if found is not _NO_PLURAL:
            return found
    return said


_NO_PLURAL = "\0no plural entry"


def normalise_locale(value: str | None) -> str:
    """A locale name from ``$LANG``-style text: "ru_RU.UTF-8" -> "ru_RU"; "C", "POSIX" or
    nothing -> "en"."""
    text = (value or "").split(".")[0].split("@")[0].strip()
    return "en" if text in ("", "C", "POSIX") else text


@dataclass(frozen=True, slots=True)
class Message:
    """A message not yet said: a code and its parameters, rendered in the reader's locale.

    A part of a sentence that varies (which file kind, which geometry issue) is a Message
    passed as a parameter of another message, rendered in the same locale."""

    code: str
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, code: str, /, **params: Any) -> Message:
        return cls(code, tuple(sorted(params.items())))

    def text(self, locale: str = "en") -> str:
        return render(self.code, dict(self.params), locale)

    def note(self) -> Note:
        """This message as a :class:`Note`: its English text, said in the reader's language
        where it is shown."""
        return Note(self.code, **dict(self.params))

    def __str__(self) -> str:
        return self.text()

    def __format__(self, spec: str) -> str:
        return format(self.text(), spec)


def _said(value: Any, locale: str) -> Any:
    if isinstance(value, Message | Note):
        return value.text(locale)
    if isinstance(value, tuple):
        return "; ".join(str(_said(v, locale)) for v in value)
    return value


def render(code: str, params: Mapping[str, Any], locale: str = "en") -> str:
    """The message ``code`` with ``params`` in ``locale``. A parameter that is a
    :class:`Message` or a :class:`Note` is said in ``locale`` too; one that is a tuple is its
    items so said, joined by "; " (a list of credits)."""
    if any(isinstance(v, Message | Note | tuple) for v in params.values()):
        params = {k: _said(v, locale) for k, v in params.items()}
    template = MESSAGES.get(code)
    if template is None:
        args = ", ".join(f"{k}={v!r}" for k, v in sorted(params.items()))
        return f"{code}({args})" if args else code
    # English needs its catalogue only for a plural form ("1 problem", not "1 problem(s)")
    text = template if locale == "en" and not plural_param(template) else say(
        template, params, locale)
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):  # a translation that lost a placeholder
        return template.format(**params)


def speaker(locale: str) -> Callable[..., str]:
    """``said(code, **params)``: the message ``code`` in ``locale``, for code that says many
    messages in one language (a figure's title, axes and legend)."""
    def said(code: str, /, **params: Any) -> str:
        return render(code, params, locale)
    return said


class Note(str):
    """A text said by a message: its English text (what CSV and JSON give, and what it is as
    a ``str``) with the message it says (a code and its parameters), so that the copy people
    read is in their language (:func:`mineaction.reports.localise.localise`)."""

    message: Message

    def __new__(cls, code: str, /, **params: Any) -> Note:
        said = Message.of(code, **params)
        note = super().__new__(cls, said.text("en"))
        note.message = said
        return note

    def __reduce__(self) -> tuple[Any, ...]:
        return (_note, (self.message.code, dict(self.message.params)))

    def text(self, locale: str) -> str:
        return self.message.text(locale)


def _note(code: str, params: dict[str, Any]) -> Note:
    return Note(code, **params)


def in_locale(text: str, locale: str) -> str:
    """``text`` as people read it in ``locale``: a :class:`Note` said in it, any other text as
    it is."""
    return text.text(locale) if isinstance(text, Note) else text


def note_json(text: str) -> Any:
    """``text`` for a JSON document that keeps it sayable in any language: a :class:`Note` as
    ``{"code", "params", "text"}`` (its English text beside), any other text as it is."""
    if not isinstance(text, Note):
        return text
    params = dict(text.message.params)
    if not all(isinstance(v, str | int | float | bool) or v is None for v in params.values()):
        return str(text)  # parameters JSON cannot hold: the English text alone
    return {"code": text.message.code, "params": params, "text": str(text)}


def note_from_json(value: Any) -> str:
    """The text :func:`note_json` wrote: a :class:`Note` again where its code is still known
    (else its English text), a plain text as it is."""
    if isinstance(value, dict):
        if value.get("code") in MESSAGES and isinstance(value.get("params"), dict):
            return Note(value["code"], **value["params"])
        return str(value.get("text", ""))
    return str(value)


def warning_text(warning: Any) -> str:
    """The text of a caught warning (``warnings.catch_warnings(record=True)``): the
    :class:`Note` it was raised with, so that it can still be said in the reader's language,
    else its message as a string."""
    args: tuple[Any, ...] = getattr(warning.message, "args", ())
    return args[0] if len(args) == 1 and isinstance(args[0], Note) else str(warning.message)
