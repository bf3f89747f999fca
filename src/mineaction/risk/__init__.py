"""Risk of explosive ordnance: what open hazards rest on (evidence), where mines are likely
(a predictive model of cells and its validation)."""
