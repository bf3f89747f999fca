"""Planning: productivity measured from the record, a transparent ranking of open hazards, a
schedule, completion and cost forecasts with their uncertainty, and backtests of them.

Everything here is pure computation over a :class:`~mineaction.planning.data.Record` snapshot
that :mod:`mineaction.services.planning` reads through the store (as the actor may see it).

Accounting rule kept throughout: land is counted per hazard, as release steps and hazard
versions record it (the stock of open land is the sum of open hazards' areas; the flow is the
sum of release steps' areas), so that the stock and the flows that deplete it agree. Land
under two overlapping hazards counts once per hazard on both sides. Cancelled, reduced and
cleared land stay apart in every table; only "released land per year", the quantity the
forecasts are judged on, adds the three, and says so.
"""
