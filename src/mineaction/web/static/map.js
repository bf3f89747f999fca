// The map page: the store's layers as vector tiles of this server, drawn by MapLibre GL JS
// (served from our own node_modules). No external tiles, glyphs or fonts: no text labels.
// On the workspace's map, the risk surface's PNG map tiles (config.riskSurface) are a layer
// turned on and off by the #risk-surface checkbox; the browser sends the session cookie.
import * as maplibregl from "/static/vendor/maplibre-gl/dist/maplibre-gl.mjs";

const element = document.getElementById("map");
const config = JSON.parse(element.dataset.config);
const origin = window.location.origin;

function source(id) {
  const t = config.tilesets[id];
  return {
    type: "vector",
    tiles: [`${origin}/collections/${id}/tiles/WebMercatorQuad/{z}/{y}/{x}`],
    minzoom: t.minzoom,
    maxzoom: Math.min(t.maxzoom, 14),
  };
}

const sources = {};
const layers = [
  { id: "background", type: "background", paint: { "background-color": "#dfe9f3" } },
];
const has = (id) => Object.prototype.hasOwnProperty.call(config.tilesets, id);

if (has("admin-areas")) {
  sources.areas = source("admin-areas");
  layers.push(
    { id: "areas-fill", type: "fill", source: "areas", "source-layer": "admin_areas",
      paint: { "fill-color": "#f7f4ea" } },
    { id: "areas-line", type: "line", source: "areas", "source-layer": "admin_areas",
      paint: { "line-color": "#7a7a7a", "line-width": ["interpolate", ["linear"], ["zoom"],
        6, 0.5, 12, 1.5] } });
}
if (config.riskSurface) {
  const r = config.riskSurface;
  sources.risk = { type: "raster", tiles: [`${origin}${r.tiles}`], tileSize: 256,
    minzoom: r.minzoom, maxzoom: r.maxzoom, bounds: r.bounds };
  const shown = document.getElementById("risk-surface");
  layers.push({ id: "risk", type: "raster", source: "risk",
    layout: { visibility: shown && shown.checked ? "visible" : "none" },
    paint: { "raster-opacity": 0.75, "raster-resampling": "nearest" } });
}
if (has("release-steps")) {
  sources.released = source("release-steps");
  layers.push({
    id: "released", type: "fill", source: "released", "source-layer": "release_steps",
    paint: {
      "fill-color": ["match", ["get", "method"],
        "cancelled", config.methods.cancelled,
        "reduced", config.methods.reduced,
        "cleared", config.methods.cleared,
        "#999999"],
      "fill-opacity": 0.7,
    },
  });
}
if (has("hazards")) {
  sources.hazards = source("hazards");
  layers.push(
    { id: "hazards-fill", type: "fill", source: "hazards", "source-layer": "hazards",
      paint: { "fill-color": ["match", ["get", "kind"], "cha", config.kinds.cha,
        config.kinds.sha], "fill-opacity": 0.55 } },
    { id: "hazards-line", type: "line", source: "hazards", "source-layer": "hazards",
      paint: { "line-color": "#7f0000", "line-width": 0.8 } });
}
if (has("accidents")) {
  sources.accidents = source("accidents");
  layers.push({
    id: "accidents", type: "circle", source: "accidents", "source-layer": "accidents",
    paint: {
      "circle-color": ["case", ["has", "count"], "#542788", "#b2abd2"],
      "circle-radius": ["case", ["has", "count"],
        ["interpolate", ["linear"], ["sqrt", ["get", "count"]], 1, 5, 10, 20], 5],
      "circle-stroke-color": "#ffffff",
      "circle-stroke-width": 1,
    },
  });
}

const map = new maplibregl.Map({
  container: element,
  style: { version: 8, sources, layers },
  bounds: config.bounds,
  fitBoundsOptions: { padding: 20 },
  attributionControl: false,
});
map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
window.mineactionMap = map;

const toggle = document.getElementById("risk-surface");
if (toggle && config.riskSurface) {
  toggle.addEventListener("change", () => {
    map.setLayoutProperty("risk", "visibility", toggle.checked ? "visible" : "none");
  });
}

// The year filter of land released (the public map's): the years the tiles in view hold.
const select = document.getElementById("year");
const years = new Set();
function collectYears() {
  if (!has("release-steps") || !select) return;
  for (const f of map.querySourceFeatures("released", { sourceLayer: "release_steps" })) {
    const y = f.properties.year;
    if (y !== undefined && !years.has(y)) {
      years.add(y);
      const option = document.createElement("option");
      option.value = String(y);
      option.textContent = String(y);
      const after = [...select.options].slice(1).find((o) => Number(o.value) > y);
      select.insertBefore(option, after || null);
    }
  }
}
map.on("idle", collectYears);
select?.addEventListener("change", () => {
  if (!map.getLayer("released")) return;
  const y = select.value;
  map.setFilter("released", y === "" ? null : ["==", ["get", "year"], Number(y)]);
});
