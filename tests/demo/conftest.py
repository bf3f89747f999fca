"""A small scenario built once per test session (and its twin, and another seed)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mineaction.demo import history as H
from mineaction.demo.contamination import lay_sites
from mineaction.demo.scenario import Summary, build
from mineaction.demo.territory import make_territory

SEED = 7
SCALE = 0.12


@dataclass
class Built:
    db: Path
    truth: Path
    records: Path
    summary: Summary


def _build(root: Path, seed: int, scale: float = SCALE) -> Built:
    root.mkdir(parents=True, exist_ok=True)
    db, truth, records = root / "store.gpkg", root / "truth.gpkg", root / "records"
    summary = build(str(db), truth, seed=seed, scale=scale, records_dir=records)
    return Built(db, truth, records, summary)


@pytest.fixture(scope="session")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build(tmp_path_factory.mktemp("demo") / "a", SEED)


@pytest.fixture(scope="session")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build(tmp_path_factory.mktemp("demo") / "b", SEED)


@pytest.fixture(scope="session")
def other(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build(tmp_path_factory.mktemp("demo") / "c", SEED + 1)


@dataclass
class Plan:
    territory: Any
    sites: list[Any]
    hazards: list[H.HazardPlan]
    acts: list[H.ActPlan]
    fate: H.ItemFate


@pytest.fixture(scope="session")
def plan(scenario: Built) -> Plan:
    """The scenario's plan, made again in memory from its seed and scale."""
    seed = scenario.summary.seed
    t = make_territory(seed)
    sites = lay_sites(seed, t, SCALE)
    hazards = H.survey_hazards(seed, t, sites, SCALE)
    rel = H.Releaser(seed, sites, hazards)
    acts = rel.run(SCALE)
    rel.outside(t, SCALE)
    fate = H.trace_items(seed, sites, acts)
    H.plan_qc(seed, sites, acts, fate)
    return Plan(t, sites, hazards, acts, fate)
