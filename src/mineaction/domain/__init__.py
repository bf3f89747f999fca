"""The domain model: records, vocabularies and rules. Pure Python, no I/O."""

from mineaction.domain import vocabulary as _vocabulary
from mineaction.domain.activities import Activity
from mineaction.domain.capacity import Capacity
from mineaction.domain.casualties import Accident, Victim, VictimPersonal
from mineaction.domain.eore import RiskEducationSession
from mineaction.domain.evidence import Evidence
from mineaction.domain.hazards import Hazard
from mineaction.domain.layers import LAYERS, Layer, all_layers, get_layer
from mineaction.domain.ordnance import Find
from mineaction.domain.organisations import AdminArea, Organisation
from mineaction.domain.quality import QualityEvent
from mineaction.domain.schema import Record, SpatialRecord
from mineaction.domain.vocabulary import *  # noqa: F403

__all__ = [
    "Accident", "Activity", "AdminArea", "Capacity", "Evidence", "Find", "Hazard", "LAYERS",
    "Layer", "Organisation", "QualityEvent", "Record", "RiskEducationSession", "SpatialRecord",
    "Victim", "VictimPersonal", "all_layers", "get_layer",
    *[n for n in dir(_vocabulary) if n[:1].isupper() and n != "StrEnum"],
]
