"""The access policy: what an actor may read and write, as data the store turns into SQL.

For each layer an actor reads, :meth:`Policy.access` gives a list of :class:`Grant`: each says
which records it opens (every record, or those whose fields hold given values: the actor's own
organisation as ``owner``, its country, an agreement's filter), how precisely (exact,
generalised to a grid or to the administrative area, or counts only) and up to which
:class:`~mineaction.access.Level` of field. The store selects the union of the grants inside
its SQL statement: a field visible under none of a record's grants comes back as None, a
geometry under a generalised grant comes back generalised, and a record under no grant is not
there at all. A layer under no grant at all is :class:`~mineaction.errors.Forbidden`.

The rules, in order (see ``docs/access.md``):

* an administrator reads every record exactly (personal data only when asked for);
* an organisation reads its own records (``owner``), and an operator the activities, release
  steps and capacity it carried out (``operator``);
* an authority's analysts, IM officers and approvers read every record of its ``country``;
* an organisation reads what active data-sharing agreements grant it, at their precision;
* everyone, signed in or not, reads the public layers, public fields only, hazards and
  released land generalised (a grid of :attr:`PolicySettings.grid_km` cells, or their
  administrative area) and accidents snapped to that grid;
* everyone, signed in or not, counts the records of :data:`PUBLIC_COUNTS` (victims, finds,
  the history of hazards): counts, sums and measured land only (the published statistics,
  counts of people suppressed by the reports), never a record, and never a personal layer or
  field;
* personal layers and fields are read by IM officers and administrators only, and only when
  the caller asks for them (``personal=True`` with a reason), which the store reports to the
  hooks registered with ``store.on_personal_read``.

Writes: analysts and the public write nothing; every other role adds records, which the
store makes the writer organisation's own (``owner``) and gives the country of their
administrative area, else the writer's; a record is changed by its owner, by an IM officer or
approver of an authority of its country, or by an administrator. Organisations, accounts and
agreements are written by administrators (a user makes and revokes their own tokens).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mineaction.access import Actor, Level, Role
from mineaction.domain.layers import ACCOUNT_LAYERS, Layer, get_layer
from mineaction.domain.schema import FieldSpec, Record
from mineaction.errors import Forbidden, InvalidInput

#: Roles that may read personal data (when they ask for it explicitly).
PERSONAL_ROLES = frozenset({Role.IM_OFFICER, Role.ADMIN})
#: Roles of an authority that read every record of its country.
COUNTRY_ROLES = frozenset({Role.ANALYST, Role.IM_OFFICER, Role.APPROVER})
#: Roles that write.
WRITER_ROLES = frozenset({Role.OPERATOR, Role.IM_OFFICER, Role.APPROVER, Role.ADMIN})
#: Roles of an authority that change any record of its country.
COUNTRY_WRITER_ROLES = frozenset({Role.IM_OFFICER, Role.APPROVER})
#: Organisation kinds read as an authority (``national_authority``: older stores).
AUTHORITY_KINDS = frozenset({"authority", "national_authority"})
#: Fields no actor ever reads back through the store, whatever its level.
SECRET_FIELDS = frozenset({("users", "password_hash"), ("tokens", "token_hash")})
#: Layers everyone may count (counts and sums by their restricted fields, never a record):
#: what the public statistics (casualties, items destroyed, contamination remaining at the end
#: of a period: the history of hazards, measured and counted) are made of.
PUBLIC_COUNTS = frozenset({"victims", "finds", "hazard-versions"})
#: Layers only administrators write (a user writes their own tokens).
ADMIN_WRITTEN = ACCOUNT_LAYERS | {"organisations"}

PERSONAL_HOW = ("only IM officers and administrators read it, and only when they ask for it: "
                "'--personal --reason TEXT' on the command line, personal=True with a reason "
                "in code; every such read is recorded")


@dataclass(frozen=True)
class Precision:
    """How precisely records come back: ``exact``; ``grid`` (geometries generalised to cells
    of ``km`` km, points snapped to a cell's centre); ``admin`` (geometries replaced by their
    administrative area; a point by one point inside it); ``counts`` (only counts and sums)."""

    kind: str
    km: float | None = None

    @property
    def generalised(self) -> bool:
        return self.kind in ("grid", "admin")

    @property
    def rank(self) -> int:
        return {"exact": 0, "grid": 1, "admin": 1, "counts": 2}[self.kind]

    def __str__(self) -> str:
        return f"grid of {self.km:g} km" if self.kind == "grid" else self.kind


EXACT = Precision("exact")
COUNTS = Precision("counts")


@dataclass(frozen=True)
class Grant:
    """Records one rule opens: those whose fields hold one of the given values, every
    ``(field, values)`` pair at once (``match`` empty: every record), at ``precision``, fields
    up to ``level``. ``why`` says which rule it is (for messages and tests)."""

    match: tuple[tuple[str, tuple[Any, ...]], ...]
    precision: Precision
    level: Level
    why: str

    def matches(self, values: Mapping[str, Any]) -> bool:
        """Whether a record with these field values falls under the grant (for checks made in
        Python; reads apply it in SQL)."""
        return all(_plain(values.get(name)) in allowed for name, allowed in self.match)


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


@dataclass(frozen=True)
class PolicySettings:
    """How the public and generalised grants show geometries. ``polygons``: ``grid`` (cells
    of ``grid_km`` km) or ``admin`` (the administrative area; a record without one falls back
    to the grid). Points are snapped to the centre of their ``point_km`` cell."""

    grid_km: float = 5.0
    polygons: str = "grid"
    point_km: float = 5.0

    def __post_init__(self) -> None:
        if self.polygons not in ("grid", "admin"):
            raise ValueError(f"polygons must be 'grid' or 'admin', got {self.polygons!r}")
        if not (self.grid_km > 0 and self.point_km > 0):
            raise ValueError("grid sizes must be positive")


@dataclass(frozen=True)
class LayerAccess:
    """What one actor reads of one layer: the grants (best first) and, per field, the indexes
    of the grants under which it is visible."""

    layer: Layer
    grants: tuple[Grant, ...]
    visible: tuple[tuple[str, tuple[int, ...]], ...]
    personal: bool  # personal fields are read (and the read must be reported)

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.layer.name, self.grants, self.visible)

    def visible_under(self, name: str) -> tuple[int, ...]:
        for field_name, under in self.visible:
            if field_name == name:
                return under
        raise KeyError(f"layer {self.layer.name} has no field {name!r}")

    @property
    def unrestricted(self) -> bool:
        """One grant opening every record exactly with every field: a plain read."""
        if len(self.grants) != 1 or self.personal:
            return False
        g = self.grants[0]
        return (not g.match and g.precision == EXACT
                and all(under == (0,) for _, under in self.visible))

    def personal_fields(self) -> list[str]:
        """The personal fields this read returns (the id and version name the records)."""
        return [name for name, under in self.visible
                if under and name not in ("id", "version")
                and self.layer.field_level(name) == Level.PERSONAL]


@dataclass(frozen=True)
class PersonalRead:
    """One read of personal data, as reported to ``store.on_personal_read`` hooks."""

    actor: Actor
    layer: str
    ids: tuple[str, ...]
    fields: tuple[str, ...]
    reason: str
    at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    #: The session that read (a write transaction logs the read with its own writes).
    source: Any = field(default=None, compare=False, repr=False)


def role_level(actor: Actor, personal: bool = False) -> Level:
    """The highest level of field an actor's roles read: public for the public, restricted for
    analysts, confidential for operators, IM officers, approvers and administrators, personal
    for IM officers and administrators who asked for personal data."""
    roles = set(actor.roles) - {Role.PUBLIC}
    if not roles:
        return Level.PUBLIC
    if personal and roles & PERSONAL_ROLES:
        return Level.PERSONAL
    return Level.RESTRICTED if roles <= {Role.ANALYST} else Level.CONFIDENTIAL


def _is_authority(actor: Actor) -> bool:
    return (actor.org_kind or "") in AUTHORITY_KINDS


class Policy:
    """The policy of one actor on one store, as of ``today`` (agreements are read once, when
    the view is made: a view is short-lived, one command or one request)."""

    def __init__(self, actor: Actor, *, agreements: Iterable[Any] = (),
                 personal: bool = False, reason: str | None = None,
                 settings: PolicySettings | None = None, today: dt.date | None = None,
                 on_behalf: Actor | None = None, agreements_only: bool = False):
        self.actor = actor
        if on_behalf is not None:
            check_decider(actor, on_behalf)
        #: The submitter whose submission ``actor`` approves: records added are theirs.
        self.on_behalf = on_behalf
        #: Only the grants of the actor's agreements apply (no own records, no country, no
        #: public view): what the agreements alone grant, as an exchange package carries it.
        self.agreements_only = agreements_only
        self.settings = settings or PolicySettings()
        self.today = today or dt.date.today()
        if personal:
            if not set(actor.roles) & PERSONAL_ROLES:
                raise Forbidden.of("access.no_personal_reads", name=actor.name)
            if not (reason and reason.strip()):
                raise InvalidInput.of("access.personal_needs_reason")
        self.personal = personal
        self.reason = (reason or "").strip()
        self.level = role_level(actor, personal)
        self.agreements = [a for a in agreements
                           if actor.org_id is not None and a.grantee == actor.org_id
                           and a.active(self.today)]
        self._cache: dict[str, LayerAccess] = {}

    @property
    def is_admin(self) -> bool:
        return self.actor.has(Role.ADMIN)

    # -- reads -----------------------------------------------------------------------------

    def access(self, layer: Layer | str) -> LayerAccess:
        """What the actor reads of ``layer``; :class:`Forbidden` when nothing."""
        lyr = layer if isinstance(layer, Layer) else get_layer(layer)
        found = self._cache.get(lyr.name)
        if found is None:
            found = self._cache[lyr.name] = self._access(lyr)
        return found

    def _grants(self, layer: Layer) -> list[Grant]:
        actor, lvl = self.actor, self.level
        grants: list[Grant] = []
        if self.agreements_only:
            if lvl == Level.PUBLIC or layer.name in ACCOUNT_LAYERS:
                return []
            return self._agreement_grants(layer, min(lvl, Level.CONFIDENTIAL))
        if self.is_admin:
            return [Grant((), EXACT, lvl, "administrator")]
        org = actor.org_id
        if lvl > Level.PUBLIC:
            if layer.name in ACCOUNT_LAYERS:
                # one's own account, tokens and agreements, whatever one's roles
                lvl = max(lvl, layer.access_level)
                if layer.name == "users" and actor.user_id:
                    grants.append(Grant((("id", (actor.user_id,)),), EXACT, lvl, "own account"))
                elif layer.name == "tokens" and actor.user_id:
                    grants.append(Grant((("user_id", (actor.user_id,)),), EXACT, lvl,
                                        "own tokens"))
                elif layer.name == "agreements" and org:
                    grants.append(Grant((("grantor", (org,)),), EXACT, lvl, "granted by"))
                    grants.append(Grant((("grantee", (org,)),), EXACT, lvl, "granted to"))
                return grants
            if org:
                grants.append(Grant((("owner", (org,)),), EXACT, lvl, "own"))
                if any(s.name == "operator" for s in layer.fields):
                    grants.append(Grant((("operator", (org,)),), EXACT, lvl, "carried out"))
            if _is_authority(actor) and actor.country and set(actor.roles) & COUNTRY_ROLES:
                grants.append(Grant((("country", (actor.country,)),), EXACT, lvl,
                                    f"country {actor.country}"))
            grants.extend(self._agreement_grants(layer, min(lvl, Level.CONFIDENTIAL)))
        if layer.access_level == Level.PUBLIC and layer.name not in ACCOUNT_LAYERS:
            grants.append(Grant((), self.public_precision(layer), Level.PUBLIC, "public"))
        elif layer.name in PUBLIC_COUNTS and layer.access_level <= Level.RESTRICTED:
            grants.append(Grant((), COUNTS, Level.RESTRICTED, "public counts"))
        return grants

    def _agreement_grants(self, layer: Layer, shared: Level) -> list[Grant]:
        grants = []
        for a in self.agreements:
            if a.shared_layer != layer.name:
                continue
            match = (("owner", (a.grantor,)), *agreement_filter(layer, a.rows_where))
            grants.append(Grant(match, agreement_precision(a, self.settings.grid_km), shared,
                                f"agreement {a.id}"))
        return grants

    def public_precision(self, layer: Layer) -> Precision:
        """How the public sees a public layer's geometries: exact where they are public,
        else generalised by the settings."""
        if not layer.spatial or layer.geometry_level == Level.PUBLIC:
            return EXACT
        s = self.settings
        if layer.geometry_type == "POINT":
            return Precision("grid", s.point_km)
        return Precision("admin") if s.polygons == "admin" else Precision("grid", s.grid_km)

    def _access(self, layer: Layer) -> LayerAccess:
        grants = [g for g in self._grants(layer) if g.level >= layer.access_level]
        if not grants:
            raise Forbidden.of("text", text=self.refusal(layer))
        grants.sort(key=lambda g: (g.precision.rank, -g.level.rank))
        visible = []
        for spec in layer.fields:
            visible.append((spec.name, tuple(i for i, g in enumerate(grants)
                                             if self.field_visible(layer, spec, g))))
        personal = any(under and layer.field_level(name) == Level.PERSONAL
                       for name, under in visible)
        return LayerAccess(layer, tuple(grants), tuple(visible), personal)

    @staticmethod
    def field_visible(layer: Layer, spec: FieldSpec, grant: Grant) -> bool:
        if (layer.name, spec.name) in SECRET_FIELDS:
            return False
        if spec.name in ("id", "version"):
            return True
        return layer.field_level(spec) <= grant.level

    def refusal(self, layer: Layer) -> str:
        who = self.actor.name
        lvl = layer.access_level
        if lvl == Level.PERSONAL:
            return f"{layer.name} holds personal data: {PERSONAL_HOW}"
        if layer.name in ACCOUNT_LAYERS:
            return f"{layer.name}: only administrators read it ({who} may not)"
        if self.level == Level.PUBLIC:
            return (f"{layer.name} is {lvl.value}, not public: sign in to read it (--as USER "
                    "or --token TOKEN)")
        return (f"{layer.name} is {lvl.value}: {who} ({', '.join(sorted(self.actor.roles))}) "
                "reads up to " + self.level.value + " and has no grant on it")

    # -- writes ----------------------------------------------------------------------------

    def writable_columns(self, layer: Layer) -> list[str]:
        """Columns an update by this actor writes; the others keep their stored values (a
        field the actor cannot read came back as None and must not overwrite the value)."""
        return [s.name for s in layer.fields
                if s.name != "owner" and (layer.name, s.name) not in SECRET_FIELDS
                and (s.name in ("id", "version") or layer.field_level(s) <= self.level)]

    def _check_writer(self, layer: Layer, record: Record, actor: Actor | None = None) -> None:
        actor = actor or self.actor
        roles = set(actor.roles)
        if not roles & WRITER_ROLES:
            raise Forbidden.of("access.read_only_role", name=actor.name)
        if layer.name in ADMIN_WRITTEN and not actor.has(Role.ADMIN):
            own_token = (layer.name == "tokens" and actor.user_id is not None
                         and getattr(record, "user_id", None) == actor.user_id)
            if not own_token:
                raise Forbidden.of("access.admins_write", layer=layer.name)
        write_level = Level.PERSONAL if roles & PERSONAL_ROLES else Level.CONFIDENTIAL
        if layer.access_level > write_level:
            raise Forbidden.of("access.personal_write", layer=layer.name)

    def admit(self, layer: Layer, record: Record,
              area_country: Callable[[str], str | None]) -> Record:
        """Check that the actor may add ``record`` and set what the store sets: ``owner``
        (the actor's organisation) and, when empty, ``country`` (of the record's
        administrative area, else the actor's). Approving a submission (``on_behalf``),
        the submitter must be allowed to add it too, and the record is the submitter's."""
        self._check_writer(layer, record)
        actor = self.actor
        if self.on_behalf is not None:
            actor = self.on_behalf
            self._check_writer(layer, record, actor)
        if actor.org_id is not None:
            record.owner = actor.org_id
        if record.country is None:
            area = getattr(record, "admin_area_id", None)
            record.country = (area_country(area) if area else None) or actor.country
        return record

    def admit_columns(self, layer: Layer) -> tuple[str | None, str | None]:
        """:meth:`admit` for new records given as columns (a bulk import): checks that the
        actor may add records to ``layer``, and returns the owner to give them (None: keep
        theirs) and the country of those that name neither a country nor an area with one."""
        self._check_writer(layer, None)  # type: ignore[arg-type]
        actor = self.actor
        if self.on_behalf is not None:
            actor = self.on_behalf
            self._check_writer(layer, None, actor)  # type: ignore[arg-type]
        return actor.org_id, actor.country

    def admit_update(self, layer: Layer, record: Record, stored_owner: str | None,
                     stored_country: str | None) -> list[str]:
        """Check that the actor may change the stored record (owner ``stored_owner``, country
        ``stored_country``) into ``record``; returns the columns to write. The owner never
        changes by an update; a record that names no country keeps the stored one (as an add
        takes the writer's), so that an update never takes it out of its country's sight."""
        self._check_writer(layer, record)
        actor = self.actor
        record.owner = stored_owner
        if hasattr(record, "country") and record.country is None:
            record.country = stored_country
        if not self.is_admin:
            own = actor.org_id is not None and stored_owner == actor.org_id
            country = (_is_authority(actor) and actor.country is not None
                       and bool(set(actor.roles) & COUNTRY_WRITER_ROLES)
                       and stored_country == actor.country
                       and (record.country or stored_country) == actor.country)
            if layer.name == "tokens" and getattr(record, "user_id", None) == actor.user_id:
                own = True
            if not (own or country):
                raise Forbidden.of("access.may_not_change", name=actor.name, layer=layer.name,
                                   id=record.id)
        return self.writable_columns(layer)


#: Roles that approve or reject submissions.
DECIDER_ROLES = frozenset({Role.APPROVER, Role.ADMIN})


def same_person(a: Actor, b: Actor) -> bool:
    """Whether two actors are the same person: the same account, else the same name."""
    if a.user_id is not None or b.user_id is not None:
        return a.user_id == b.user_id
    return a.name == b.name


def check_decider(actor: Actor, submitter: Actor) -> None:
    """Forbidden unless ``actor`` may approve or reject what ``submitter`` submitted: an
    approver or an administrator, and never the submitter themselves."""
    if not set(actor.roles) & DECIDER_ROLES:
        raise Forbidden.of("review.approvers_only", name=actor.name)
    if same_person(actor, submitter):
        raise Forbidden.of("review.own_submission", name=actor.name)


#: Roles that accept or reject the corrected geometry proposed for a minefield record.
CORRECTION_ROLES = frozenset({Role.IM_OFFICER, Role.APPROVER, Role.ADMIN})


def check_correction_decider(actor: Actor) -> None:
    """Forbidden unless ``actor`` may accept or reject a minefield record's proposed
    correction: an IM officer or approver (of the record's country, which the store checks on
    writing) or an administrator."""
    if not set(actor.roles) & CORRECTION_ROLES:
        raise Forbidden.of("records.decide_not_allowed", name=actor.name)


def agreement_filter(layer: Layer, rows_where: str | None
                     ) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """An agreement's ``rows_where`` (JSON: field -> value or list) as grant conditions;
    ValueError naming the field for a field the layer lacks or of a kind that cannot be
    matched (geometry, JSON, sets)."""
    if not rows_where:
        return ()
    try:
        where = json.loads(rows_where)
    except ValueError as exc:
        raise ValueError(f"rows_where is not JSON: {exc}") from None
    if not isinstance(where, dict):
        raise ValueError("rows_where must be a JSON object of field -> value or list")
    out = []
    for name, value in sorted(where.items()):
        try:
            spec = layer.field(name)
        except KeyError:
            raise ValueError(f"layer {layer.name} has no field {name!r}") from None
        if spec.kind in ("json", "enumset") or name in ("owner",):
            raise ValueError(f"field {name!r} cannot filter an agreement")
        values = value if isinstance(value, list) else [value]
        if spec.kind == "date":
            try:
                values = [dt.date.fromisoformat(v) if isinstance(v, str) else v
                          for v in values]
            except ValueError:
                raise ValueError(f"field {name!r}: dates as YYYY-MM-DD") from None
        elif spec.kind == "enum":
            values = [str(v).lower() for v in values]
        out.append((name, tuple(_plain(v) for v in values)))
    return tuple(out)


def agreement_precision(agreement: Any, grid_km: float | None = None) -> Precision:
    """An agreement's precision; a grid without its size takes ``grid_km`` (the programme's
    public grid, else the default's)."""
    kind = _plain(agreement.precision)
    if kind == "grid":
        return Precision("grid", float(agreement.grid_km or grid_km
                                       or PolicySettings().grid_km))
    return Precision(kind)
