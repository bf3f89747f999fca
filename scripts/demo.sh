#!/usr/bin/env bash
# The main job on the embedded store: a fresh GeoPackage with the synthetic demonstration
# scenario (a fictional territory at sea), the published-figures register, the minefield
# records assessed against clearance, reports, a risk model and its surface (a COG), and a
# summary. Open the files in QGIS.
# Then it serves the public Observer on the store until Ctrl-C; SERVE=no (scripts, CI) stops
# after building. HOST and PORT: where to serve (default 127.0.0.1:8000).
set -euo pipefail
db="${1:-demo/mineaction.gpkg}"
out="$(dirname "$db")"
mkdir -p "$out"
rm -rf "$db" "$db-wal" "$db-shm" "${db%.gpkg}-truth.gpkg" "$out/records" "$out"/risk-cells.csv* \
  "$out"/risk.model* "$out/risk.tif"
m() { .venv/bin/mineaction --db "$db" "$@"; }
step() { printf '\n== %s ==\n' "$*"; }

step "store and synthetic scenario"
m init
m demo --figure "$out/map.png"

figures=../shared/reference/published_figures.csv
if [ -f "$figures" ]; then
  step "published figures (seed documents) and where they disagree"
  m figures import "$figures"
  m figures conflicts
fi

step "minefield records against what clearance found"
m records assess --sk42-transformation EPSG:1808 | tail -n 12

step "reports"
m report ap-release-by-district
m report ap-release-by-district --format pdf -o "$out/ap-release-by-district.pdf"
m report casualties --format pdf -o "$out/casualties.pdf"

victims=../shared/data/colombia_victims/victims_1990_2017.csv
if [ -f "$victims" ]; then
  step "a real register: Colombia's landmine victims 1990-2017 (AICMA), in a store of its own"
  co="$out/colombia.gpkg"
  rm -f "$co" "$co-wal" "$co-shm"
  .venv/bin/mineaction --db "$co" init
  .venv/bin/mineaction --db "$co" import-register victims "$victims" --mapping colombia-aicma
  .venv/bin/mineaction --db "$co" report casualties --format pdf -o "$out/colombia-casualties.pdf"
fi

truth="${db%.gpkg}-truth.gpkg"
step "evidence-based survey: a risk model of what was known before 2022, and its surface"
m risk features --cell 1000 --before 2022-01-01 --truth "$truth" --context "$truth" \
  -o "$out/risk-cells.csv"
m risk train --table "$out/risk-cells.csv" --target target --lon lon --lat lat \
  --block-km 10 --calibration platt -o "$out/risk.model"
m risk surface --model "$out/risk.model" --resolution 200 --context "$truth" -o "$out/risk.tif"
m risk rank-hazards --surface "$out/risk.tif" --limit 5

step "summary"
m summary
echo
echo "demo store: $db (SYNTHETIC data; opens in QGIS); truth: ${db%.gpkg}-truth.gpkg;"
echo "map: $out/map.png; reports: $out/*.pdf; risk model: $out/risk.model (card beside it),"
echo "its surface: $out/risk.tif (on the workspace map for signed-in users)"

if [ "${SERVE:-yes}" != "no" ]; then
  host="${HOST:-127.0.0.1}"; port="${PORT:-8000}"
  step "the public Observer"
  echo "open http://$host:$port/ in a browser (English, Azərbaycan, Հայերեն, ქართული, Русский);"
  echo "stop with Ctrl-C (make demo SERVE=no builds without serving)"
  exec .venv/bin/mineaction --db "$db" serve --host "$host" --port "$port" \
    --risk-surface "$out/risk.tif"
fi
