"""Minefield records: georeferencing and reliability assessment against what was found."""
