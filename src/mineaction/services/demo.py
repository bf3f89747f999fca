"""The synthetic demonstration scenario: a fictional territory at sea, its ground truth kept
in a file of its own, never in the operational store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from mineaction.errors import InvalidInput


def truth_path(url: str, truth: Path | None) -> Path:
    """Where the ground truth goes: ``truth``, else ``<store>-truth.gpkg`` beside the store;
    never the store itself."""
    if truth is None:
        base = Path("demo") if "://" in url else Path(url)
        truth = base.with_name(base.stem + "-truth.gpkg")
    if "://" not in url and Path(url).resolve() == truth.resolve():
        raise InvalidInput.of("cli.truth_is_store")
    return truth


def build(url: str, truth: Path | None = None, *, seed: int = 1, scale: float = 1.0,
          records_dir: Path | None = None, report: Callable[[str], None] | None = None,
          progress: Any = None) -> tuple[Any, Path]:
    """Build the scenario into the store at ``url`` (it opens the store itself) and its truth
    into ``truth`` (:func:`truth_path`); the scenario's summary and the truth's file."""
    from mineaction.demo.scenario import build as run

    if scale <= 0 or scale > 1000:
        raise InvalidInput.of("cli.scale_range", scale=scale)
    truth = truth_path(url, truth)
    return run(url, truth, seed=seed, scale=scale, records_dir=records_dir, report=report,
               progress=progress), truth


def draw(url: str, truth: Path, path: Path, title: str, locale: str = "en") -> None:
    from mineaction.demo.figure import draw as run

    run(url, truth, path, title=title, locale=locale)
