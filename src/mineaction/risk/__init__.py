"""Evidence and risk: what open hazards rest on, and where mines are likely."""
