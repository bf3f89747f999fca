"""A synthetic demonstration territory and contamination scenario with hidden ground truth.

The land is fictional and lies at sea (50.3-51.7 E, 40.9-41.9 N); every record is marked
``synthetic:``. :func:`mineaction.demo.scenario.build` writes the operational store, the truth
GeoPackage and the minefield records.
"""
