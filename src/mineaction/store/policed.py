"""An actor's policy inside the SQL statements of the SQL stores.

:class:`Projection` turns the grants of :mod:`mineaction.access.policy` into one statement:

* the rows: ``WHERE grant_1 OR grant_2 ...`` (each grant a conjunction of ``field IN (...)``);
* the fields: a column visible under every grant of the row set is selected as it is, one
  visible under none is ``NULL``, and one visible under some is
  ``CASE WHEN <their grants> THEN column END``, so that a filter or an ordering on it sees
  what the actor sees and never the hidden value;
* the geometry: where some grants generalise it, a marker column says which grant a row falls
  under first (0: an exact one) and the store generalises that row's geometry in Python
  before the record is built; spatial filters on such rows are checked on the generalised
  geometry (``(exact grants AND spatial filter) OR generalised grants`` in SQL, then in
  Python), never on the exact one, so that no sequence of boxes can find an exact vertex.

:class:`ActorStore` is what ``SqlStore.as_actor`` returns: the store's reads and
transactions, each carrying the policy.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
import sqlalchemy as sa
from shapely.geometry.base import BaseGeometry

from mineaction.access import Actor
from mineaction.access.generalise import grid_cells_many, snap_points, to_area
from mineaction.access.policy import Grant, LayerAccess, Policy, PolicySettings
from mineaction.domain.layers import Layer
from mineaction.errors import Forbidden
from mineaction.store.base import BBox, LayerRef, MigrationReport, Query, Store, layer_of
from mineaction.store.rows import GEOM, column_value

if TYPE_CHECKING:
    from mineaction.store.sql import SqlStore, SqlTransaction

MARKER = "_grant"
AREA = "_area"


def _clause(table: sa.Table, layer: Layer, grant: Grant) -> Any:
    """The grant's rows as SQL (None: every row)."""
    if not grant.match:
        return None
    parts = []
    for name, values in grant.match:
        col = table.c[name]
        spec = layer.field(name)
        vals = [column_value(spec, v) if spec.kind not in ("enum", "enumset") else v
                for v in values]
        parts.append(col == vals[0] if len(vals) == 1 else col.in_(vals))
    return sa.and_(*parts)


def _any(clauses: list[Any]) -> Any:
    """OR of the clauses (None stands for every row): None when one of them is every row."""
    if any(c is None for c in clauses):
        return None
    if not clauses:
        return sa.false()
    return clauses[0] if len(clauses) == 1 else sa.or_(*clauses)


class Projection:
    """One layer's columns and rows as an actor sees them, for reading records
    (``counting`` False) or for counts and sums (``counting`` True: counts-only grants too)."""

    def __init__(self, store: SqlStore, layer: Layer, access: LayerAccess, counting: bool):
        self.layer = layer
        self.access = access
        self.table = table = store.table(layer)
        grants = access.grants
        self.used = [i for i, g in enumerate(grants)
                     if counting or g.precision.kind != "counts"]
        if not self.used:
            raise Forbidden.of("access.counts_only", layer=layer.name)
        clauses = [_clause(table, layer, g) for g in grants]
        self.where = _any([clauses[i] for i in self.used])
        self.columns: dict[str, Any] = {}
        self.hidden: set[str] = set()
        for name, under in access.visible:
            shown = [i for i in under if i in self.used]
            col = table.c[name]
            if len(shown) == len(self.used):
                self.columns[name] = col
            elif not shown:
                self.columns[name] = sa.null()
                self.hidden.add(name)
            else:
                cond = _any([clauses[i] for i in shown])
                self.columns[name] = col if cond is None else sa.case((cond, col))
        exact = [i for i in self.used if grants[i].precision.kind == "exact"]
        general = [i for i in self.used if grants[i].precision.generalised]
        self.generalising = bool(layer.spatial and general)
        self.exact_where = _any([clauses[i] for i in exact]) if exact else sa.false()
        if self.exact_where is None:
            self.exact_where = sa.true()
        self.general_where = _any([clauses[i] for i in general]) if general else sa.false()
        if self.general_where is None:
            self.general_where = sa.true()
        self.marker: Any = None
        self.area: Any = None
        if self.generalising:
            whens = []
            if exact:
                whens.append((self.exact_where, 0))
            for i in general:
                c = clauses[i]
                whens.append((sa.true() if c is None else c, i + 1))
            self.marker = sa.case(*whens, else_=-1)
            if any(grants[i].precision.kind == "admin" for i in general) and \
                    "admin_area_id" in table.c:
                self.area = table.c.admin_area_id
        self.key = (access.key, counting)

    def widened(self, box: BBox) -> BBox | None:
        """``box`` widened by one grid cell of the coarsest generalised grant, for the index
        to find every record whose generalised geometry may meet ``box``; None when a grant
        shows records as their administrative area (anywhere) or near a pole."""
        general = [self.access.grants[i].precision for i in self.used
                   if self.access.grants[i].precision.generalised]
        if not general or any(p.kind != "grid" or p.km is None for p in general):
            return None
        km = max(float(p.km or 0.0) for p in general)
        dlat = km * 1000.0 / 110_574.0 * 1.01  # the shortest degree of latitude, and margin
        top = max(abs(box[1]), abs(box[3])) + 2 * dlat
        if top >= 89.0:
            return None
        # a cell is km wide along a parallel of radius N cos(lat) >= a cos(lat)
        dlon = km * 1000.0 / (6_378_137.0 * math.cos(math.radians(top)) * math.pi / 180.0)
        dlon *= 1.01
        return (max(-180.0, box[0] - dlon), max(-90.0, box[1] - dlat),
                min(180.0, box[2] + dlon), min(90.0, box[3] + dlat))

    def check_usable(self, name: str, what: str) -> None:
        """Forbidden when the actor can see the field on no record: filtering, ordering or
        grouping on it would tell what it holds."""
        if name in self.hidden:
            raise Forbidden.of("access.hidden_field", layer=self.layer.name, what=what,
                               field=name)

    def select(self) -> sa.Select[Any]:
        cols = [expr.label(name) if expr is not self.table.c[name] else expr
                for name, expr in self.columns.items()]
        if self.layer.spatial:
            cols.append(self.table.c[GEOM])
        if self.marker is not None:
            cols.append(self.marker.label(MARKER))
        if self.area is not None:
            cols.append(self.area.label(AREA))
        stmt = sa.select(*cols)
        if self.where is not None:
            stmt = stmt.where(self.where)
        return stmt

    def shown(self, tx: SqlTransaction, rows: Sequence[Any], keys: tuple[str, ...],
              geoms: list[BaseGeometry | None], exact: list[BaseGeometry],
              general: list[BaseGeometry]) -> tuple[list[BaseGeometry | None], Any]:
        """The geometries as the actor sees them, and which rows pass the spatial filters
        (``exact``: checks left to Python on exact geometries; ``general``: every spatial
        filter, for generalised ones). The rows of a batch are generalised together."""
        n = len(rows)
        keep = np.ones(n, dtype=bool)
        if not self.layer.spatial:
            return geoms, keep
        if self.marker is None:
            if exact:
                keep = tx._hits(exact, geoms)
            return geoms, keep
        mi = keys.index(MARKER)
        ai = keys.index(AREA) if self.area is not None else None
        arr = np.empty(n, dtype=object)
        arr[:] = geoms
        out = arr.copy()
        marks = np.asarray([0 if r[mi] is None else int(r[mi]) for r in rows], dtype=np.int64)
        mine = np.flatnonzero(marks == 0)
        if len(mine) and exact:
            keep[mine] = tx._hits(exact, list(arr[mine])) & ~shapely.is_missing(arr[mine])
        # under no grant of this read (cannot happen: the WHERE)
        keep[marks < 0] = False
        out[marks < 0] = None
        grants = self.access.grants
        for mark in np.unique(marks[marks > 0]).tolist():
            at = np.flatnonzero(marks == mark)
            out[at] = self._generalise(tx, grants[mark - 1], arr[at],
                                       [rows[int(k)][ai] for k in at] if ai is not None
                                       else None)
        if general:
            at = np.flatnonzero(marks > 0)
            keep[at] = ~shapely.is_missing(out[at]) & tx._hits(general, list(out[at]))
        return list(out), keep

    def _generalise(self, tx: SqlTransaction, grant: Grant, geoms: np.ndarray,
                    area_ids: list[str | None] | None) -> np.ndarray:
        """The geometries of rows under a generalising grant, as the grant shows them (None
        and empty ones as they are)."""
        out = geoms.copy()
        todo = ~shapely.is_missing(geoms)
        todo[todo] = ~shapely.is_empty(geoms[todo])
        point = self.layer.geometry_type == "POINT"
        precision = grant.precision
        if precision.kind == "admin" and area_ids is not None:
            for k in np.flatnonzero(todo).tolist():
                area_id = area_ids[k]
                area = area_geometry(tx, area_id) if area_id else None
                if area is not None:
                    out[k] = to_area(area, point)
                    todo[k] = False
        km = precision.km or tx.policy.settings.grid_km
        if todo.any():
            out[todo] = (snap_points(geoms[todo], km) if point
                         else _grid_cells(geoms[todo], km))
        return out


#: Grid cells of geometries already generalised, by WKB and cell size (see _grid_cells).
_CELLS: dict[tuple[bytes, float], BaseGeometry] = {}
_CELLS_MAX = 131_072


def _grid_cells(geoms: np.ndarray, km: float) -> np.ndarray:
    """:func:`grid_cells_many` of geometries, remembered: a map reads the same records again
    and again as it pans and zooms (geometries are immutable, so the result can be
    shared)."""
    keys = [(w, km) for w in shapely.to_wkb(geoms).tolist()]
    out = np.empty(len(keys), dtype=object)
    out[:] = [_CELLS.get(k) for k in keys]
    missing = np.flatnonzero(shapely.is_missing(out))
    if len(missing):
        made = grid_cells_many(geoms[missing], km)
        out[missing] = made
        if len(_CELLS) + len(missing) > _CELLS_MAX:
            _CELLS.clear()
        for k, g in zip(missing.tolist(), made.tolist(), strict=True):
            _CELLS[keys[k]] = g
    return out


def projection(store: SqlStore, layer: Layer, access: LayerAccess, counting: bool
               ) -> Projection | None:
    """The projection of ``layer`` for ``access`` (None: the plain table, nothing hidden),
    built once per grant set."""
    if access.unrestricted:
        return None
    cache: dict[Any, Projection] = store.__dict__.setdefault("_projections", {})
    key = (access.key, counting)
    found = cache.get(key)
    if found is None:
        if len(cache) > 1024:
            cache.clear()
        found = cache[key] = Projection(store, layer, access, counting)
    return found


def area_geometry(tx: SqlTransaction, area_id: str) -> BaseGeometry | None:
    """The geometry of an administrative area (public: read whatever the actor is)."""
    key = ("geom", area_id)
    if key not in tx._areas:
        table = tx.store.table(layer_of("admin-areas"))
        row = tx.conn.execute(sa.select(table.c[GEOM]).where(table.c.id == area_id)).first()
        tx._areas[key] = None if row is None else tx.store.decode_geometries([row[0]])[0]
    return tx._areas[key]  # type: ignore[no-any-return]


def generalised(policy: Any, layer: Layer) -> bool:
    """Whether ``policy`` shows some geometries of ``layer`` generalised (then land is measured
    in the store, on the exact polygons, never on what the actor reads)."""
    return layer.spatial and any(g.precision.generalised for g in policy.access(layer).grants)


class ActorStore(Store):
    """A SQL store as one actor may use it (see ``SqlStore.as_actor``)."""

    def __init__(self, base: SqlStore, policy: Policy):
        self.base = base
        self.policy = policy
        self.url = base.url

    @classmethod
    def of(cls, base: SqlStore, actor: Actor, *, personal: bool = False,
           reason: str | None = None, settings: PolicySettings | None = None,
           today: dt.date | None = None, on_behalf: Actor | None = None,
           agreements_only: bool = False) -> ActorStore:
        agreements: list[Any] = []
        if actor.org_id is not None and base.schema_version() > 0:
            with contextlib.suppress(Exception):  # a store before the agreements layer
                agreements = base.query("agreements", grantee=actor.org_id)
        policy = Policy(actor, agreements=agreements, personal=personal, reason=reason,
                        settings=settings, today=today, on_behalf=on_behalf,
                        agreements_only=agreements_only)
        return cls(base, policy)

    @property
    def actor(self) -> Actor:
        return self.policy.actor

    def as_actor(self, actor: Any, **kw: Any) -> Store:
        return self.base.as_actor(actor, **kw)

    def on_personal_read(self, fn: Any) -> None:
        self.base.on_personal_read(fn)

    # -- sessions ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self, *, actor: Any = None, clock: Any = None) -> Iterator[Any]:
        with self.base.transaction(policy=self.policy, actor=actor or self.policy.actor,
                                   clock=clock) as tx:
            yield tx

    @contextlib.contextmanager
    def reading(self, *, single: bool = False) -> Iterator[Any]:
        with self.base.reading(single=single, policy=self.policy) as r:
            yield r

    # -- reads -------------------------------------------------------------------------------

    def iter(self, layer: LayerRef, query: Query | None = None, /, **filters: Any
             ) -> Iterator[Any]:
        self.policy.access(layer_of(layer))  # refuse before a session opens
        with self.reading() as r:
            yield from r.iter(layer, query, **filters)

    def get(self, layer: Any, id: str) -> Any:
        with self.reading(single=True) as r:
            return r.get(layer, id)

    def count(self, layer: LayerRef, query: Query | None = None, /, **filters: Any) -> int:
        with self.reading() as r:
            return int(r.count(layer, query, **filters))

    def existing_ids(self, layer: LayerRef, ids: Iterable[str]) -> set[str]:
        with self.reading(single=True) as r:
            return set(r.existing_ids(layer, ids))

    def extent(self, layer: LayerRef) -> BBox | None:
        with self.reading() as r:
            return r.extent(layer)  # type: ignore[no-any-return]

    def land_m2(self, layer: LayerRef, ids: Iterable[str], *,
                also: Iterable[tuple[LayerRef, Iterable[str]]] = ()) -> float:
        with self.reading() as r:
            return float(r.land_m2(layer, ids, also=also))

    def generalises(self, layer: LayerRef) -> bool:
        return generalised(self.policy, layer_of(layer))

    def aggregate(self, layer: LayerRef, by: Sequence[str] = (), **kw: Any
                  ) -> list[dict[str, Any]]:
        with self.reading() as r:
            return list(r.aggregate(layer, by, **kw))

    def scan(self, layer: LayerRef, **kw: Any) -> Any:
        """The actor's scan: the statement of their reads (rows, fields, generalised
        geometries) selecting columns (see ``SqlTransaction.scan``)."""
        self.policy.access(layer_of(layer))  # refuse before a session opens
        with self.reading(single=True) as r:
            return r.scan(layer, **kw)

    def latest(self, layer: LayerRef, key: str, *, order: str, date_field: str,
               on: dt.date) -> Iterator[Any]:
        self.policy.access(layer_of(layer))  # refuse before a session opens
        with self.reading() as r:
            yield from r.latest(layer, key, order=order, date_field=date_field, on=on)

    # -- the store itself ------------------------------------------------------------------------

    def schema_version(self) -> int:
        return self.base.schema_version()

    def stored_settings(self) -> dict[str, str]:
        return self.base.stored_settings()

    def migrate(self, target: int | None = None, *,
                report: MigrationReport | None = None) -> list[int]:
        if not self.policy.is_admin:
            raise Forbidden.of("access.admins_migrate")
        return self.base.migrate(target, report=report)

    def close(self) -> None:
        self.base.close()
