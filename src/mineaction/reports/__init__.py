"""Reports: definitions (which figures, in which tables) -> tables -> renderers."""

from mineaction.reports import eore as _eore  # noqa: F401  (registers its reports)
from mineaction.reports import evidence as _evidence  # noqa: F401  (registers its reports)
from mineaction.reports import planning as _planning  # noqa: F401  (registers its reports)
from mineaction.reports import quality as _quality  # noqa: F401  (registers its reports)
from mineaction.reports import release as _release  # noqa: F401  (registers its reports)
from mineaction.reports.definitions import REPORTS, Options, build
from mineaction.reports.model import Cell, Chart, Column, Report, Table

__all__ = ["REPORTS", "Cell", "Chart", "Column", "Options", "Report", "Table", "build"]
