"""Risk of explosive ordnance: a predictive model of cells, its validation, and evidence."""
