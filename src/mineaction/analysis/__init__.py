"""Analyses over the store: summaries, statistics, land release, record reliability."""
