"""The one store interface the rest of mineaction uses.

A store holds every layer of a programme's data. Adapters implement it: an embedded GeoPackage
file (:mod:`mineaction.store.geopackage`, the default) and PostgreSQL/PostGIS
(:mod:`mineaction.store.postgis`). Code outside ``store/`` never knows which one runs; the store
contract suite (``tests/contract``) is the one place their behaviour is specified.

Reads are available on the store and on a transaction; writes only inside
``with store.transaction() as tx:``, which commits on success and rolls back on any error, so an
import with one bad row writes nothing.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

from shapely.geometry.base import BaseGeometry

from mineaction.domain.layers import Layer, get_layer
from mineaction.domain.schema import Record
from mineaction.errors import StoreError

R = TypeVar("R", bound=Record)
LayerRef = str | type[Record] | Layer
BBox = tuple[float, float, float, float]
Progress = Callable[[int], None]
#: ``report(version, message)``: what a schema migration changed in the stored data.
MigrationReport = Callable[[int, str], None]


def layer_of(ref: LayerRef) -> Layer:
    return ref if isinstance(ref, Layer) else get_layer(ref)


@dataclass(frozen=True)
class Query:
    """What to read from one layer. Filters combine with AND.

    ``where`` maps a field to a value (equality) or to a list/tuple/set (any of them).

    ``bbox`` is (minx, miny, maxx, maxy) in EPSG:4326, as in OGC API Features: the features
    whose geometry intersects the box, its boundary included, are returned; not those whose
    envelope alone meets it (a triangle beside a corner of the box), and none found only
    because a spatial index keeps rounded bounds. It is checked exactly, in double precision,
    on every adapter. min equal to max makes the box a line or a point; min greater than max
    is a ``ValueError`` (a box across the antimeridian is two queries).

    ``intersects`` is a geometry in EPSG:4326: the features whose geometry intersects it
    (touching included) are returned. With both, a feature must intersect each.
    """

    where: Mapping[str, Any] | None = None
    bbox: BBox | None = None
    intersects: BaseGeometry | None = None
    order_by: str = "id"
    limit: int | None = None
    offset: int = 0


@dataclass
class Scan:
    """Features of one layer as columns rather than records (see :meth:`Reader.scan`): their
    ``ids``, their geometries as ISO WKB in EPSG:4326 (``wkb``, None where a feature has
    none; empty for a layer without geometry) and the ``columns`` asked for, each a list of
    values as a stored row holds them (enumeration codes, dates, numbers, text), all in the
    order of ``ids``."""

    layer: str
    ids: list[str]
    wkb: list[bytes | None]
    columns: dict[str, list[Any]]
    #: the geometries of ``wkb``, part by part, where the store decoded them already (None
    #: for a part it did not decode)
    _decoded: list[Any] = field(default_factory=list, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.ids)

    def geometries(self) -> Any:
        """The geometries as an array of shapely geometries (decoded in bulk, once)."""
        import numpy as np
        import shapely

        if not self.wkb:
            return np.empty(0, dtype=object)
        parts = self._decoded
        if parts and all(p is not None for p in parts) and \
                sum(len(p) for p in parts) == len(self.wkb):
            return parts[0] if len(parts) == 1 else np.concatenate(parts)
        return shapely.from_wkb(np.asarray(self.wkb, dtype=object))


class Reader(ABC):
    """Typed reads, shared by a store and its transactions."""

    @abstractmethod
    def iter(self, layer: LayerRef, query: Query | None = None, /, **filters: Any
             ) -> Iterator[Record]:
        """Stream the records of ``layer`` matching the query, ordered by ``order_by``."""

    def query(self, layer: LayerRef, query: Query | None = None, /, **filters: Any
              ) -> list[Record]:
        return list(self.iter(layer, query, **filters))

    @overload
    def get(self, layer: type[R], id: str) -> R: ...

    @overload
    def get(self, layer: str | Layer, id: str) -> Record: ...

    @abstractmethod
    def get(self, layer: Any, id: str) -> Any:
        """The record with this id; :class:`~mineaction.errors.NotFound` when there is none."""

    @abstractmethod
    def count(self, layer: LayerRef, query: Query | None = None, /, **filters: Any) -> int: ...

    @abstractmethod
    def existing_ids(self, layer: LayerRef, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` are already in the layer."""

    @abstractmethod
    def extent(self, layer: LayerRef) -> BBox | None:
        """Bounding box of the layer's geometries, or None when it has none."""

    def latest(self, layer: LayerRef, key: str, *, order: str, date_field: str,
               on: dt.date) -> Iterator[Record]:
        """For each value of ``key``, the one record of ``layer`` with the greatest ``order``
        among those whose ``date_field`` is empty or on or before ``on``; in order of ``key``.

        The versions of a history as they stood on a day (``hazard-versions`` by
        ``hazard_id`` and ``seq``, dated by ``valid_from``), read in one statement. The SQL
        adapters choose the records in the database; this default reads them all.
        """
        chosen: dict[Any, tuple[Any, Record]] = {}
        for record in self.iter(layer, Query(order_by=key)):
            when = getattr(record, date_field)
            if when is not None and when > on:
                continue
            k, rank = getattr(record, key), getattr(record, order)
            if k not in chosen or rank > chosen[k][0]:
                chosen[k] = (rank, record)
        for k in sorted(chosen, key=lambda v: (v is not None, v)):
            yield chosen[k][1]

    def scan(self, layer: LayerRef, *, bbox: BBox | None = None,
             intersects: BaseGeometry | None = None, ids: Iterable[str] | None = None,
             columns: Sequence[str] = (), where: Mapping[str, Any] | None = None,
             geometry: bool = True) -> Scan:
        """The features of ``layer`` that a :meth:`iter` with the same filters returns, in
        the same order (by id), as columns: the fast read of a map or a page of features.

        ``bbox``, ``intersects`` and ``where`` are those of :class:`Query`; ``ids`` keeps the
        features with these ids (any order, unknown ones ignored); ``geometry`` False leaves
        ``wkb`` empty (ids and columns only, as for counting). The same reader's rules
        apply as to :meth:`iter`: an actor gets the rows, fields and geometries (generalised
        where theirs are) that :meth:`iter` gives them, a field they cannot see is None,
        and a layer they cannot read is refused. The SQL adapters pass the stored geometry
        through without building records; this default builds them.
        """
        from mineaction.store.rows import to_row

        lyr = layer_of(layer)
        filters = dict(where or {})
        if ids is not None:
            filters["id"] = sorted(set(ids))
        names = list(columns)
        out = Scan(lyr.name, [], [], {n: [] for n in names})
        for record in self.iter(lyr, Query(where=filters or None, bbox=bbox,
                                           intersects=intersects)):
            row = to_row(lyr, record)
            out.ids.append(record.id)
            if lyr.spatial and geometry:
                import shapely

                g = getattr(record, "geometry", None)
                out.wkb.append(None if g is None else shapely.to_wkb(g, flavor="iso"))
            for n in names:
                out.columns[n].append(row[n])
        return out

    @abstractmethod
    def aggregate(self, layer: LayerRef, by: Sequence[str] = (), *,
                  sums: Sequence[str] = (), where: Mapping[str, Any] | None = None,
                  date_field: str | None = None, start: dt.date | None = None,
                  end: dt.date | None = None, with_ids: bool = False) -> list[dict[str, Any]]:
        """Counts and sums per group, computed by the database.

        ``by`` names fields, or ``year`` / ``quarter`` of ``date_field``. ``start`` and ``end``
        (inclusive) filter on ``date_field``. Each row holds the group values, ``count`` (of
        records), each of ``sums`` (0 when there is nothing to sum), and with ``with_ids`` the
        sorted ``ids`` of the records behind it, so that every figure can name its sources.
        Rows are ordered by the group values.
        """


    def land_m2(self, layer: LayerRef, ids: Iterable[str], *,
                also: Iterable[tuple[LayerRef, Iterable[str]]] = ()) -> float:
        """The geodesic area (m²) of the union of the geometries of the records ``ids`` that
        this reader may count (with those of each ``(layer, ids)`` of ``also``, united with
        them, so that land under records of two layers counts once): a measure of their exact
        geometries, also where the reader sees them generalised (a number, never a geometry).
        Ids not there count for nothing."""
        from mineaction.geo.measure import union_area_m2

        geoms = []
        for lyr, some in [(layer, ids), *also]:
            wanted = sorted(set(some))
            for k in range(0, len(wanted), 500):
                for rec in self.iter(lyr, Query(where={"id": wanted[k:k + 500]})):
                    geoms.append(getattr(rec, "geometry", None))
        return union_area_m2(geoms)

    def generalises(self, layer: LayerRef) -> bool:
        """Whether this reader sees some geometries of ``layer`` generalised (then measure
        land with :meth:`land_m2`, not on the geometries it reads)."""
        return False


class Transaction(Reader):
    """A unit of work. Reads see the transaction's own writes."""

    @abstractmethod
    def add(self, record: Record) -> Record:
        """Insert a new record; :class:`~mineaction.errors.Conflict` if its id exists."""

    @abstractmethod
    def add_many(self, records: Iterable[Record], progress: Progress | None = None, *,
                 keep_versions: bool = False) -> int:
        """Insert many records efficiently; returns how many. ``progress(n)`` after each batch.

        New records start at version 1; ``keep_versions`` stores the records' own versions
        instead (copying a store).
        """

    def insert_columns(self, layer: LayerRef, columns: Mapping[str, Sequence[Any]],
                       geometries: Sequence[BaseGeometry | None] | None = None,
                       progress: Progress | None = None) -> int:
        """Insert new records of one layer given as columns rather than records (a bulk
        import): ``columns`` maps fields to values as a stored row holds them (enumeration
        codes, dates or their ISO text, numbers, text; a field left out is None), one per
        record, and
        ``geometries`` holds a spatial layer's geometries (EPSG:4326). Everything else is as
        :meth:`add_many` of the same records: version 1, owner and country set by the store,
        the actor's policy checked, one audit entry per record, :class:`~mineaction.errors.
        Conflict` if an id exists; returns how many. A ``columns`` dict gets the columns
        the store set (``version``, ``owner``, ``country``). This default builds the
        records; the adapters write the columns as they are."""
        lyr = layer_of(layer)
        names = list(columns)
        n = len(columns[names[0]]) if names else len(geometries or ())
        from mineaction.store.rows import from_row

        records = []
        for i in range(n):
            row = {spec.name: None for spec in lyr.fields}
            row.update({name: columns[name][i] for name in names})
            records.append(from_row(lyr, row, None if geometries is None else geometries[i]))
        count = self.add_many(records, progress)
        if isinstance(columns, dict):
            for name in ("version", "owner", "country"):
                columns[name] = [getattr(r, name) for r in records]
        return count

    @abstractmethod
    def update(self, record: Record) -> Record:
        """Replace a record, checking ``record.version`` against the stored one.

        Raises :class:`~mineaction.errors.Conflict` when somebody else changed it since it was
        read (optimistic locking), :class:`~mineaction.errors.NotFound` when it is gone. Returns
        the record with its new version.
        """

    def update_many(self, records: Sequence[Record]) -> int:
        """:meth:`update` of each record (an adapter may do it in fewer statements, with the
        same checks); returns how many."""
        for record in records:
            self.update(record)
        return len(records)

    def put_setting(self, key: str, value: str | None) -> str | None:
        """Store a programme setting's text under ``key`` (None: unset it, so that its
        default applies); returns the text it replaced. Administrators only
        (:class:`~mineaction.errors.Forbidden` otherwise); the change is an entry of the audit
        log. Keys and values are checked by :mod:`mineaction.access.settings`, not here."""
        raise NotImplementedError


class Store(Reader):
    """An open store. Create with :func:`open_store`."""

    url: str

    @abstractmethod
    def transaction(self, *, actor: Any = None, clock: Callable[[], dt.datetime] | None = None
                    ) -> AbstractContextManager[Transaction]:
        """A write transaction. Every write in it is logged in the audit log, in the same
        transaction, as done by ``actor`` (a :class:`mineaction.access.Actor`; default: the
        operating-system user) at ``clock()`` (an aware time; default: now, UTC)."""

    @contextmanager
    def reading(self, *, single: bool = False) -> Iterator[Reader]:
        """A reader whose reads all see one state of the store, whatever is written
        meanwhile: for an answer made of several statements (a count and a page). ``single``:
        it runs one statement (an adapter may then skip the transaction). The SQL stores
        read in one transaction (a snapshot: WAL in a GeoPackage, REPEATABLE READ in
        PostgreSQL); the default is the store itself."""
        yield self

    def stored_settings(self) -> dict[str, str]:
        """The programme settings stored (key to text; see :mod:`mineaction.access.
        settings`), readable by everyone: they say what the public is shown. Empty for a
        store that holds none, or is not initialised."""
        return {}

    @abstractmethod
    def schema_version(self) -> int:
        """The schema version of the opened store (0 when it was never initialised)."""

    def initialised(self) -> bool:
        return self.schema_version() > 0

    @abstractmethod
    def migrate(self, target: int | None = None, *,
                report: MigrationReport | None = None) -> list[int]:
        """Bring the schema to ``target`` (default: the latest); returns the versions applied.

        All steps run in one transaction. A step that changed stored data (corrected values)
        says so through ``report(version, message)``, called after the commit.
        """

    def create(self, *, report: MigrationReport | None = None) -> list[int]:
        """Initialise an empty store at the latest schema, or migrate an older one (a no-op on
        an up-to-date store)."""
        return self.migrate(report=report)

    def require_current(self) -> None:
        from mineaction.store.migrations import LATEST

        version = self.schema_version()
        if version == 0:
            raise StoreError.of("store.not_initialised", url=self.url)
        if version < LATEST:
            raise StoreError.of("store.schema_older", url=self.url, version=version,
                                latest=LATEST)
        if version > LATEST:
            raise StoreError.of("store.schema_newer", url=self.url, version=version,
                                latest=LATEST)

    def as_actor(self, actor: Any, *, personal: bool = False, reason: str | None = None,
                 settings: Any = None, today: Any = None, on_behalf: Any = None,
                 agreements_only: bool = False) -> Store:
        """This store as ``actor`` (a :class:`mineaction.access.Actor`) may use it: reads
        filtered by their policy inside the store's queries (layers, fields, rows, precision),
        writes checked. Personal data is read only with ``personal=True`` and a ``reason``
        (by IM officers and administrators), and every such read is reported to the hooks
        of :meth:`on_personal_read`. ``settings``: a
        :class:`mineaction.access.policy.PolicySettings` (how generalised the public view
        is); ``today``: the day agreements are active on (default: the system's);
        ``on_behalf``: the submitter of a submission ``actor`` approves (an approver or
        administrator, never the submitter: Forbidden otherwise), whose records the writes
        add; ``agreements_only``: only what the actor's organisation's agreements grant (no
        own records, no country, no public view), as an exchange package carries it. The SQL
        stores apply it (:mod:`mineaction.store.policed`); the default is the store itself,
        unfiltered."""
        return self

    def on_personal_read(self, fn: Callable[[Any], None]) -> None:
        """Call ``fn(event)`` (a :class:`mineaction.access.policy.PersonalRead`: actor, layer,
        ids, fields, reason, time) after every read of personal data through a view of this
        store, before the records reach the caller. An exception in ``fn`` fails the read:
        a read that cannot be recorded does not happen."""
        self.__dict__.setdefault("_personal_read_hooks", []).append(fn)

    def personal_read(self, policy: Any, layer: str, ids: Sequence[str],
                      fields: Sequence[str], source: Any = None) -> None:
        """Report a read of personal data to the hooks of :meth:`on_personal_read`."""
        hooks = self.__dict__.get("_personal_read_hooks")
        if not hooks:
            return
        from mineaction.access.policy import PersonalRead

        event = PersonalRead(policy.actor, layer, tuple(ids), tuple(fields), policy.reason,
                             source=source)
        for fn in hooks:
            fn(event)

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------
# Opening a store from a URL.

_ADAPTERS: dict[str, Callable[[str], Store]] = {}


def register_adapter(scheme: str, factory: Callable[[str], Store]) -> None:
    """Make ``open_store`` open URLs of ``scheme`` ('postgresql', 'gpkg') with ``factory``."""
    _ADAPTERS[scheme] = factory


def scheme_of(url: str) -> str:
    head, sep, _ = url.partition("://")
    if sep and head:
        return head.split("+")[0].lower()
    return "gpkg"


def open_store(url: str) -> Store:
    """Open the store at ``url``: a file path (GeoPackage) or ``postgresql://...``."""
    import mineaction.store.geopackage  # noqa: F401  (registers the adapters)
    import mineaction.store.postgis  # noqa: F401

    scheme = scheme_of(url)
    try:
        factory = _ADAPTERS[scheme]
    except KeyError:
        raise StoreError.of("store.no_adapter", scheme=scheme, url=url,
                            known=", ".join(sorted(_ADAPTERS))) from None
    return factory(url)


def today() -> dt.date:
    return dt.date.today()


def as_list(value: Any) -> Sequence[Any] | None:
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return None
