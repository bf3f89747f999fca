#!/usr/bin/env bash
# Installs the Debian packages the tests use for real parts when they are missing:
# GDAL's command-line tools (ogrinfo reads our GeoPackages back), PostgreSQL 15 with PostGIS 3
# (the server store's tests start a throwaway cluster), poppler (PDF pages to images).
set -euo pipefail
need=()
command -v ogrinfo >/dev/null 2>&1 || need+=(gdal-bin)
[ -x /usr/lib/postgresql/15/bin/initdb ] && \
  ls /usr/share/postgresql/15/extension/postgis.control >/dev/null 2>&1 || \
  need+=(postgresql-15-postgis-3)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
# npm fetches the browser libraries the web interface serves (MapLibre GL JS, axe-core).
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
# Debian's Chromium: the web interface's tests drive it with Playwright.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# WeasyPrint (PDF reports) needs pango, and fonts with Armenian and Georgian glyphs.
ls /usr/lib/*/libpango-1.0.so.0 >/dev/null 2>&1 || need+=(libpango-1.0-0)
ls /usr/lib/*/libpangoft2-1.0.so.0 >/dev/null 2>&1 || need+=(libpangoft2-1.0-0)
[ -d /usr/share/fonts/truetype/noto ] || need+=(fonts-noto-core)
ls /usr/lib/*/libharfbuzz-subset.so.0 >/dev/null 2>&1 || need+=(libharfbuzz-subset0)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "installing Debian packages: ${need[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
