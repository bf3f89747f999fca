"""Exchange packages: export what the agreements grant an organisation, verify a package,
import one keeping its provenance.

A package is a GeoPackage file (:mod:`mineaction.exchange.package`), read and written where
it lies: its check is on the file's own rows, so these services take its path.

* :func:`export_package` reads the store **as the recipient** (the store's own policy, with
  the recipient's agreements alone: ``as_actor(..., agreements_only=True)``), so that the
  package holds exactly what they would read: exact, generalised to a grid or to the
  administrative area, points snapped, or counts only; nothing under no active agreement.
  The manifest is signed with Ed25519 and the export written to the audit log.
* :func:`verify_package` recomputes every table's digest and checks the signature with the
  recipient's copy of the sender's public key; it names the first problem.
* :func:`import_package` refuses a package that fails verification (nothing written), then
  writes its records, all or none, each with its provenance in ``source`` ("received from ORG
  on DATE, package SHA-256 ...") and in ``notes`` (where the sender had it from, and how
  precise its geometry is). A record already received from the same package is left alone,
  so importing a package twice writes nothing the second time; one received from an earlier
  package of the same sender is replaced; a record of the same id from elsewhere refuses the
  import.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

import mineaction
from mineaction import audit
from mineaction.access import Actor, Role
from mineaction.access.accounts import require_admin
from mineaction.audit.canonical import canonical_json, real_text
from mineaction.domain.accounts import Agreement
from mineaction.domain.layers import Layer, get_layer
from mineaction.domain.organisations import Organisation
from mineaction.domain.schema import Record, coerce_properties
from mineaction.errors import InvalidInput, NotFound, Problem
from mineaction.exchange import package as pkg
from mineaction.io.writers import check_target
from mineaction.messages import Note
from mineaction.services.context import Context, protected, store_file
from mineaction.services.imports import layer as layer_named
from mineaction.store.rows import column_value

#: The audit action of an import (an export is :data:`mineaction.audit.EXPORT`).
IMPORT_ACTION = "package_import"


@dataclass
class Exported:
    path: Path
    digest: str
    recipient: str
    tables: dict[str, int]  # table -> rows
    agreements: list[str]
    key_id: str


@dataclass
class Imported:
    digest: str
    source: str
    added: dict[str, int] = field(default_factory=dict)
    replaced: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    counts_tables: list[str] = field(default_factory=list)

    @property
    def written(self) -> int:
        return sum(self.added.values()) + sum(self.replaced.values())


# -- export ----------------------------------------------------------------------------------------

def recipient_actor(org: Organisation) -> Actor:
    """The recipient organisation as the package reads the store: its agreements' level
    (confidential fields at most, never personal ones)."""
    return Actor(org.id, frozenset({Role.APPROVER}), org_id=org.id, country=org.country,
                 org_kind=org.kind.value if org.kind else None)


def _organisation(ctx: Context, org_id: str) -> Organisation:
    try:
        return ctx.store.get(Organisation, org_id)
    except NotFound:
        raise InvalidInput.of("package.no_org", id=org_id) from None


def active_agreements(ctx: Context, org_id: str) -> list[Agreement]:
    """The agreements granting ``org_id`` something today, by id."""
    today = ctx.today()
    found = [a for a in ctx.store.query(Agreement, grantee=org_id)
             if isinstance(a, Agreement) and a.active(today)]
    return sorted(found, key=lambda a: a.id)


def _precision(a: Agreement) -> dict[str, Any]:
    kind = getattr(a.precision, "value", a.precision)
    out: dict[str, Any] = {"kind": kind}
    if kind == "grid" and a.grid_km is not None:
        out["grid_km"] = real_text(a.grid_km)
    return out


def _precisions(agreements: list[Agreement]) -> list[dict[str, Any]]:
    """The distinct precisions of ``agreements``, the most exact first."""
    found = {canonical_json(_precision(a)): _precision(a) for a in agreements}
    order = {"exact": 0, "grid": 1, "admin": 2, "counts": 3}
    return [found[k] for k in sorted(found, key=lambda k: (order.get(found[k]["kind"], 9), k))]


def precision_text(p: dict[str, Any]) -> str:
    if p.get("kind") == "grid" and p.get("grid_km"):
        return f"grid of {float(p['grid_km']):g} km"
    return {"admin": "administrative area"}.get(str(p.get("kind")), str(p.get("kind")))


def _agreement_entry(a: Agreement) -> dict[str, Any]:
    return {"id": a.id, "grantor": a.grantor, "grantee": a.grantee, "layer": a.shared_layer,
            "precision": _precision(a), "rows_where": a.rows_where,
            "valid_from": a.valid_from.isoformat() if a.valid_from else None,
            "valid_to": a.valid_to.isoformat() if a.valid_to else None}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _records_table(layer: Layer, records: list[Record]) -> pkg.Table:
    columns = {spec.name: [_plain(column_value(spec, getattr(r, spec.name))) for r in records]
               for spec in layer.fields}
    geoms = [getattr(r, "geometry", None) for r in records] if layer.spatial else []
    return pkg.Table(layer.table, layer.geometry_type if layer.spatial else None, columns,
                     geoms)


def _counts_table(layer: Layer, groups: list[dict[str, Any]], below: int) -> pkg.Table:
    """One row per country. A count of people (:data:`mineaction.reports.render.PEOPLE`)
    from 1 to ``below`` less one is not written (``count`` null, ``suppressed`` 1), as in the
    public statistics: counts only is the public's precision, and an agreement's filter can
    narrow a count to a few people."""
    from mineaction.reports.render import PEOPLE

    counts = [int(g["count"]) for g in groups]
    hidden = [layer.name in PEOPLE and 0 < n < below for n in counts]
    return pkg.Table(f"{layer.table}_counts", None,
                     {"country": [g.get("country") for g in groups],
                      "count": [None if h else n for n, h in zip(counts, hidden, strict=True)],
                      "suppressed": [int(h) for h in hidden]})


def _store_identity(ctx: Context, reading: Any) -> dict[str, Any]:
    """The store without credentials: a file's name, or a server's host, port and database;
    its schema version and its audit head as ``reading`` (an open reading) sees it."""
    url = ctx.store.url
    own = store_file(url)
    if own is not None:
        name = own.name
    else:
        parts = urlsplit(url)
        name = f"{parts.scheme}://{parts.hostname or ''}" + (
            f":{parts.port}" if parts.port else "") + parts.path
    found = audit.head(reading)
    return {"store": name, "schema_version": ctx.store.schema_version(),
            "audit_head": None if found is None else f"{found[0]}:{found[1]}"}


def export_package(ctx: Context, to: str, path: Path, key: Ed25519PrivateKey,
                   layers: list[str] | None = None) -> Exported:
    """Write the exchange package for organisation ``to`` at ``path``: every layer (of
    ``layers``, else all) an active agreement shares with it, read as ``to`` reads it under
    those agreements alone, and the signed manifest. Administrators export; the export is
    logged. Nothing is written when no active agreement shares anything (InvalidInput)."""
    require_admin(ctx.actor, "export exchange packages")
    target = check_target(path, protected=protected(ctx.store.url))
    org = _organisation(ctx, to)
    agreements = active_agreements(ctx, to)
    wanted = [layer_named(n).name for n in layers or []]
    for name in wanted:
        if not any(a.shared_layer == name for a in agreements):
            raise InvalidInput.of("package.layer_not_shared", layer=name, org=to,
                                  day=ctx.today().isoformat())
    if wanted:
        agreements = [a for a in agreements if a.shared_layer in wanted]
    if not agreements:
        raise InvalidInput.of("package.nothing_shared", org=to, day=ctx.today().isoformat())
    by_layer: dict[str, list[Agreement]] = defaultdict(list)
    for a in agreements:
        by_layer[a.shared_layer].append(a)
    view = ctx.store.as_actor(recipient_actor(org), today=ctx.today(), agreements_only=True)
    tables: list[tuple[pkg.Table, Layer, list[Agreement], str]] = []
    with view.reading() as r:  # every table and the audit head from one state of the store
        for name in sorted(by_layer):
            lyr = get_layer(name)
            granted = by_layer[name]
            kinds = {_precision(a)["kind"] for a in granted}
            if kinds - {"counts"}:
                tables.append((_records_table(lyr, list(r.iter(lyr))), lyr,
                               [a for a in granted if _precision(a)["kind"] != "counts"],
                               "records"))
            if "counts" in kinds:
                tables.append((_counts_table(lyr, r.aggregate(lyr, ["country"]),
                                             ctx.suppress_below), lyr,
                               [a for a in granted if _precision(a)["kind"] == "counts"],
                               "counts"))
        identity = _store_identity(ctx, r)
    tmp = target.with_name(f".{target.stem}.{uuid.uuid4().hex[:8]}.gpkg")
    try:
        for table, _, _, _ in tables:
            pkg.write_table(tmp, table)
        digests = pkg.digests(tmp, [t.name for t, _, _, _ in tables])
        source = ctx.actor.org_id or "+".join(sorted({a.grantor for a in agreements}))
        manifest = {
            "format": pkg.FORMAT,
            "package_id": str(uuid.uuid4()),
            "source": {"organisation": source},
            "recipient": {"organisation": org.id, "name": org.name, "country": org.country},
            "exported_at": ctx.now().astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "exported_by": {"actor": ctx.actor.name, "user": ctx.actor.user_id,
                            "organisation": ctx.actor.org_id},
            "store": identity,
            "mineaction_version": mineaction.__version__,
            "agreements": [_agreement_entry(a) for a in agreements],
            "tables": [{"table": t.name, "layer": lyr.name, "content": content,
                        "agreements": [a.id for a in granted],
                        "precision": _precisions(granted),
                        "rows": digests[t.name][0], "sha256": digests[t.name][1]}
                       for t, lyr, granted, content in tables],
        }
        row = pkg.sign(key, manifest)
        pkg.write_manifest(tmp, row)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    sha = pkg.digest(row["manifest"])
    counts = {t.name: digests[t.name][0] for t, _, _, _ in tables}
    audit.record(ctx.store, audit.EXPORT, actor=ctx.actor, detail={
        "package": "exchange", "package_sha256": sha, "recipient": to,
        "agreements": [a.id for a in agreements], "tables": counts, "key_id": row["key_id"],
        "file": target.name})
    return Exported(target, sha, to, counts, [a.id for a in agreements], row["key_id"])


# -- verification ----------------------------------------------------------------------------------

def verify_package(path: Path, public: Ed25519PublicKey) -> pkg.Checked:
    """Check the package at ``path`` with the sender's public key: the first problem, or
    none (see :func:`mineaction.exchange.package.check`). Reads no store."""
    return pkg.check(Path(path), public)


# -- import ----------------------------------------------------------------------------------------

def provenance(source: str, day: dt.date, sha: str) -> str:
    return f"received from {source} on {day.isoformat()}, package SHA-256 {sha}"


def _notes(row: dict[str, Any], source: str, precision: list[dict[str, Any]]
           ) -> str | None:
    parts = [str(row["notes"])] if row.get("notes") else []
    if row.get("source"):
        parts.append(f"source at {source}: {row['source']}")
    if row.get("owner"):
        parts.append(f"owner at {source}: {row['owner']}")
    shown = ", ".join(precision_text(p) for p in precision)
    if precision and all(p.get("kind") != "exact" for p in precision):
        parts.append(f"geometry generalised: {shown}")
    elif len(precision) > 1:
        parts.append(f"geometry exact or generalised: {shown}")
    return "; ".join(parts) or None


def _records(ctx: Context, path: Path, entry: dict[str, Any], source: str, stamp: str,
             problems: list[Problem]) -> tuple[Layer, list[Record]]:
    table = str(entry["table"])
    try:
        lyr = get_layer(str(entry["layer"]))
    except KeyError:
        problems.append(Problem.of(table, None, "package.unknown_layer", table=table,
                                   layer=str(entry["layer"])))
        return get_layer("organisations"), []
    out: list[Record] = []
    specs = lyr.fields
    for row in pkg.table_rows(path, table):
        where = Note("input.where_table_row", table=table, number=row.pop("_fid"))
        blob = row.pop(pkg.GEOM, None)
        values, found = coerce_properties(specs, row, where, today=ctx.today())
        values.pop("source", None)
        values.pop("notes", None)
        if found:
            problems.extend(found)
            continue
        try:
            record = lyr.record_type(**values)
            if lyr.spatial:
                record.geometry = pkg.geometry(blob)  # type: ignore[attr-defined]
        except (TypeError, ValueError) as exc:
            problems.append(Problem.of(where, None, "package.bad_record", reason=str(exc)))
            continue
        record.source = stamp
        record.notes = _notes(row, source, list(entry.get("precision") or []))
        out.append(record)
    return lyr, out


def _stored(tx: Any, lyr: Layer, ids: list[str], chunk: int = 500) -> dict[str, Record]:
    """The stored records of ``ids`` the importer sees, read in chunks."""
    out: dict[str, Record] = {}
    for i in range(0, len(ids), chunk):
        out.update((r.id, r) for r in tx.iter(lyr, id=ids[i:i + chunk]))
    return out


def import_package(ctx: Context, path: Path, public: Ed25519PublicKey) -> Imported:
    """Import the package at ``path`` signed with ``public``'s private key: refused, nothing
    written, unless :func:`verify_package` finds it intact; then every record of it, all or
    none, each stamped with its provenance; the import is logged. Counts tables are not
    imported (they are no records)."""
    # checked and read from a private copy: the file cannot change between the two
    with tempfile.TemporaryDirectory(prefix="mineaction-package-") as folder:
        copy = Path(folder) / "package.gpkg"
        shutil.copyfile(path, copy)
        return _import_checked(ctx, Path(path), copy, public)


def _import_checked(ctx: Context, shown: Path, path: Path, public: Ed25519PublicKey
                    ) -> Imported:
    checked = pkg.check(path, public)
    if checked.problem is not None:
        raise InvalidInput([checked.problem.at(str(shown))], source=str(shown))
    manifest = checked.manifest or {}
    sha = checked.digest or ""
    source = str((manifest.get("source") or {}).get("organisation") or "")
    stamp = provenance(source, ctx.today(), sha)
    result = Imported(sha, source)
    problems: list[Problem] = []
    loaded: list[tuple[Layer, list[Record]]] = []
    for entry in manifest.get("tables") or []:
        if entry.get("content") != "records":
            result.counts_tables.append(str(entry["table"]))
            continue
        loaded.append(_records(ctx, path, entry, source, stamp, problems))
    path = shown  # problems name the file given
    if problems:
        raise InvalidInput(problems, source=str(path))
    earlier = f"received from {source} on "
    with ctx.reader.transaction() as tx:
        plans = []
        for lyr, records in loaded:
            existing = _stored(tx, lyr, [r.id for r in records])
            new, replace, same = [], [], 0
            for r in records:
                stored = existing.get(r.id)
                if stored is None:
                    new.append(r)
                    continue
                kept = stored.source or ""
                if kept.endswith(f"package SHA-256 {sha}"):
                    same += 1
                elif kept.startswith(earlier):
                    r.version = stored.version
                    replace.append(r)
                else:
                    problems.append(Problem.of(str(path), "id", "package.id_taken",
                                               layer=lyr.name, id=r.id, source=source))
            plans.append((lyr, new, replace, same))
        if problems:
            raise InvalidInput(problems, source=str(path))
        for lyr, new, replace, same in plans:
            if new:
                result.added[lyr.name] = tx.add_many(new)
            for r in replace:
                tx.update(r)
            if replace:
                result.replaced[lyr.name] = len(replace)
            if same:
                result.unchanged[lyr.name] = same
        if result.written:
            audit.record(tx, IMPORT_ACTION, detail={
                "package_sha256": sha, "from": source, "key_id": checked.key_id,
                "added": result.added, "replaced": result.replaced})
    return result
