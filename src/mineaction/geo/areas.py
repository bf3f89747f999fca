"""Administrative areas: which area a geometry lies in, and names across transliterations.

Pure functions: no store, no files.

**Which area.** :func:`best_area` gives the smallest area (geodesic m², :mod:`geo.measure`) that
contains a geometry. A point goes to the smallest area that covers it. A line or a polygon is
measured against each area it meets (length in m, area in m²): the smallest area holding all of
it (within :data:`CONTAINED_SHARE`, since published boundaries are simplified and a hazard drawn
on a better map can cross one by a few metres) is chosen; when none holds it, the area holding
the largest part of it. :func:`assign_many` does the same for many geometries at once, with a
shapely STRtree over the areas.

**Names.** Area names are written in several alphabets and transliterations: Füzuli, Fuzuli,
Fizuli, Физули, Ֆիզուլի; Ağdam, Aghdam, Agdam, Агдам. :func:`name_key` reduces a name to one
Latin form: the generic words ("District", "rayonu", "район") dropped, the letters of
Azerbaijani Latin mapped (ə a, ğ g, ı i, ş s, ç c, ü u, ö o, x h, q g), anything else
transliterated to ASCII with ``anyascii``, and the digraphs of English and Russian
transliteration folded (gh g, kh h, sh s, ch c, zh j, dzh j, y i). Two names with the same key
match exactly (kind words kept first: "Shusha City" is not "Shusha District"; then without
them), then two names of the same consonants (:func:`skeleton`: Lankaran, Lenkoran);
otherwise :func:`match_name` compares keys with ``rapidfuzz`` (normalised
Indel similarity, 0-100) and takes a candidate at or above :data:`FUZZY_THRESHOLD` when it is
clearly the best (:data:`FUZZY_MARGIN` points ahead of the next); several candidates as good
are returned as ambiguous, never chosen among.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from anyascii import anyascii
from rapidfuzz import fuzz
from shapely.geometry.base import BaseGeometry

from mineaction.geo.measure import area_m2, length_m

#: Share of a line's length or a polygon's area that must lie in an area for the area to
#: count as containing it.
CONTAINED_SHARE = 0.99
#: Lowest similarity (0-100) of two name keys that still matches.
FUZZY_THRESHOLD = 80.0
#: How far ahead (points) the best fuzzy candidate must be to be chosen alone.
FUZZY_MARGIN = 5.0

# -- names ------------------------------------------------------------------------------------

#: Words that say what kind of area a name is, not which: dropped before comparing (in the
#: languages of the programmes: English, Azerbaijani, Russian, Armenian, Georgian, Spanish).
GENERIC_WORDS = frozenset({
    "district", "rayon", "raion", "region", "province", "city", "municipality", "autonomous",
    "republic", "marz", "oblast", "county", "town", "of",
    "rayonu", "şəhəri", "seheri", "şəhər", "bələdiyyəsi",
    "район", "р-н", "город", "г", "область", "марз", "республика",
    "մարզ", "շրջան", "քաղաք",
    "მუნიციპალიტეტი", "რაიონი", "ქალაქი", "მხარე",
    "municipio", "departamento", "ciudad",
})

#: Letters mapped before transliteration: Azerbaijani Latin (as the English forms write them,
#: folded the same way as the digraphs below), Armenian ու (u), ղ (gh) and the ւ of և (ev,
#: which case folding splits), Georgian ფ (f in the Russian and English forms of the region's
#: names).
_LETTERS = str.maketrans({
    "ə": "a", "ğ": "g", "ı": "i", "ş": "s", "ç": "c", "ü": "u", "ö": "o", "x": "h", "q": "g",
    "ղ": "g", "ւ": "v", "ფ": "f", "ь": "", "ъ": "",
})
_DIGRAPHS = (("dzh", "j"), ("dj", "j"), ("zh", "j"), ("gh", "g"), ("kh", "h"), ("sh", "s"),
             ("ch", "c"), ("ow", "u"), ("ou", "u"), ("y", "i"))


def name_key(name: str, *, kind: bool = False) -> str:
    """The form of an area name that transliterations share (see the module's docstring);
    with ``kind``, the generic words are kept ("Shusha City" and "Shusha District" differ).

    >>> [name_key(n) for n in ("Füzuli District", "Fuzuli", "Ağdam", "Aghdam", "Агдам")]
    ['fuzuli', 'fuzuli', 'agdam', 'agdam', 'agdam']
    """
    text = unicodedata.normalize("NFC", name).casefold()
    text = text.replace("ու", "u")
    words = [w for w in re.split(r"[\s,.()/'’\"]+", text)
             if w and (kind or w not in GENERIC_WORDS)]
    text = " ".join(words).translate(_LETTERS)
    text = anyascii(text).lower()
    for old, new in _DIGRAPHS:
        text = text.replace(old, new)
    text = re.sub(r"[^a-z0-9]+", "", text)
    return re.sub(r"(.)\1+", r"\1", text)  # doubled letters: Masalli, Masali


def skeleton(key: str) -> str:
    """A key's first letter and its consonants: what transliterations of vowels (Lankaran,
    Lenkoran; Fuzuli, Fizuli) leave alike."""
    return key[:1] + re.sub(r"[aeiou]", "", key[1:])


@dataclass(frozen=True)
class Named:
    """An area as name matching sees it: its id, name, and what tells it apart from another
    of the same name (its parent's name, its code)."""

    id: str
    name: str
    parent: str | None = None
    code: str | None = None

    def describe(self) -> str:
        extra = [x for x in (self.parent, self.code) if x]
        return f"{self.name} ({self.id}{'; ' + ', '.join(extra) if extra else ''})"


@dataclass
class NameMatch:
    """What a name matched: one area (``found``), several as good (``ambiguous``), or none
    (``found`` None and no candidates). ``score`` is 100 for an exact match of keys."""

    query: str
    found: Named | None = None
    candidates: list[Named] = field(default_factory=list)
    score: float = 0.0

    @property
    def ambiguous(self) -> bool:
        return self.found is None and len(self.candidates) > 1


def match_name(query: str, areas: Sequence[Named], *, threshold: float = FUZZY_THRESHOLD,
               margin: float = FUZZY_MARGIN) -> NameMatch:
    """The area ``query`` names, among ``areas``: by id (exactly, then ignoring case), by the
    key of its name (:func:`name_key`), then by fuzzy similarity of keys. Several areas
    matching as well (two areas of one name, or fuzzy scores within ``margin``) make the
    match ambiguous, with every one of them as candidates, best first."""
    q = query.strip()
    for exact in (True, False):
        by_id = [a for a in areas if (a.id == q if exact else a.id.casefold() == q.casefold())]
        if len(by_id) == 1:
            return NameMatch(query, by_id[0], by_id, 100.0)
    key = name_key(q)
    if not key:
        return NameMatch(query)
    keys = [name_key(a.name) for a in areas]
    full = name_key(q, kind=True)
    for wanted, have in ((full, [name_key(a.name, kind=True) for a in areas]), (key, keys)):
        same = [a for a, k in zip(areas, have, strict=True) if k == wanted]
        if len(same) == 1:
            return NameMatch(query, same[0], same, 100.0)
        if same:
            return NameMatch(query, None, same, 100.0)
    bones = skeleton(key)
    alike = [(fuzz.ratio(key, k), a) for a, k in zip(areas, keys, strict=True)
             if k and skeleton(k) == bones]
    if alike:
        alike.sort(key=lambda s: -s[0])
        if len(alike) == 1:
            return NameMatch(query, alike[0][1], [alike[0][1]], alike[0][0])
        return NameMatch(query, None, [a for _, a in alike], alike[0][0])
    scored = sorted(((fuzz.ratio(key, k), a) for a, k in zip(areas, keys, strict=True)
                     if k), key=lambda s: -s[0])
    good = [(s, a) for s, a in scored if s >= threshold]
    if not good:
        return NameMatch(query)
    best = good[0][0]
    close = [a for s, a in good if s >= best - margin]
    if len(close) == 1:
        return NameMatch(query, close[0], close, best)
    return NameMatch(query, None, close, best)


@dataclass(frozen=True)
class DuplicateName:
    """Areas whose names have the same key: the rows (or ids) holding them."""

    name: str
    areas: tuple[Named, ...]
    where: tuple[str, ...]


def duplicate_names(areas: Sequence[Named], where: Sequence[str] | None = None
                    ) -> list[DuplicateName]:
    """Groups of two or more ``areas`` whose names match exactly by key, kind words kept
    (Lankaran District and Lənkəran District; not Lankaran City), in order of first
    appearance; ``where`` names each area's row (default: its id). Areas of the same name
    under different parents are still listed: the parent is what tells them apart, and a
    reader must know that it is needed."""
    groups: dict[str, list[int]] = {}
    for i, a in enumerate(areas):
        key = name_key(a.name, kind=True)
        if key:
            groups.setdefault(key, []).append(i)
    rows = list(where) if where is not None else [a.id for a in areas]
    return [DuplicateName(areas[ix[0]].name, tuple(areas[i] for i in ix),
                          tuple(rows[i] for i in ix))
            for ix in groups.values() if len(ix) > 1]


# -- geometry ---------------------------------------------------------------------------------


def _measure(geom: BaseGeometry) -> float:
    """Area (m²) of a polygonal geometry, else length (m) of a linear one, else 0."""
    a = area_m2(geom)
    return a if a > 0 else length_m(geom)


@dataclass
class AreaIndex:
    """Areas ready for many look-ups: their ids, geometries (EPSG:4326), geodesic areas and
    an STRtree."""

    ids: list[str]
    geoms: list[BaseGeometry]
    sizes: np.ndarray = field(init=False)
    tree: shapely.STRtree = field(init=False)

    def __post_init__(self) -> None:
        self.sizes = np.array([area_m2(g) for g in self.geoms], dtype=float)
        arr = np.array(self.geoms, dtype=object)
        shapely.prepare(arr)
        self.tree = shapely.STRtree(arr)

    @classmethod
    def of(cls, areas: Iterable[tuple[str, BaseGeometry | None]]) -> AreaIndex:
        pairs = [(i, g) for i, g in areas if g is not None and not g.is_empty]
        return cls([i for i, _ in pairs], [g for _, g in pairs])

    def best(self, geom: BaseGeometry, candidates: Iterable[int] | None = None) -> str | None:
        """The id of the area ``geom`` belongs to (see the module's docstring), or None when
        it meets none."""
        if geom is None or geom.is_empty:
            return None
        idx = (list(candidates) if candidates is not None
               else [int(i) for i in self.tree.query(geom, predicate="intersects")])
        if not idx:
            return None
        if geom.geom_type in ("Point", "MultiPoint"):
            holding = [i for i in idx if self.geoms[i].covers(geom)]
            if not holding:
                return None
            return self.ids[min(holding, key=lambda i: (self.sizes[i], self.ids[i]))]
        whole = _measure(geom)
        if whole <= 0:  # a degenerate shape: placed by its points
            return self.best(shapely.centroid(geom))
        overlap = {i: (whole if self.geoms[i].covers(geom)
                       else _measure(shapely.intersection(self.geoms[i], geom))) for i in idx}
        holding = [i for i in idx if overlap[i] >= CONTAINED_SHARE * whole]
        if holding:
            return self.ids[min(holding, key=lambda i: (self.sizes[i], self.ids[i]))]
        top = max(overlap.values())
        if top <= 0:
            return None
        return self.ids[min((i for i in idx if overlap[i] == top),
                            key=lambda i: (self.sizes[i], self.ids[i]))]

    def assign_many(self, geoms: Sequence[BaseGeometry | None]) -> list[str | None]:
        """:meth:`best` for each of ``geoms`` (None where it has no geometry or meets no
        area), with one bulk query of the tree."""
        out: list[str | None] = [None] * len(geoms)
        present = [k for k, g in enumerate(geoms) if g is not None and not g.is_empty]
        if not present or not self.ids:
            return out
        arr = np.array([geoms[k] for k in present], dtype=object)
        pairs = self.tree.query(arr, predicate="intersects")
        found: dict[int, list[int]] = {}
        for j, i in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True):
            found.setdefault(j, []).append(i)
        for j, k in enumerate(present):
            if j in found:
                out[k] = self.best(geoms[k], found[j])  # type: ignore[arg-type]
        return out
