#!/usr/bin/env bash
# The main job on the embedded store: a fresh GeoPackage loaded with the synthetic example
# dataset, then a summary. Open the file in QGIS to look at it.
set -euo pipefail
db="${1:-demo/mineaction.gpkg}"
mkdir -p "$(dirname "$db")"
rm -f "$db" "$db-wal" "$db-shm"
m() { .venv/bin/mineaction --db "$db" "$@"; }
m init
m import organisations examples/organisations.csv --crs EPSG:4326
m import admin-areas examples/admin-areas.geojson
m import hazards examples/hazards.geojson
m import activities examples/activities.geojson
m import finds examples/finds.csv --crs EPSG:4326
m summary
echo "demo store: $db (synthetic data; opens in QGIS)"
