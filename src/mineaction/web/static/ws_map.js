// A small map of the workspace: the GeoJSON features of the page (a hazard's versions and
// the land released from it) drawn by MapLibre GL JS over a plain background. No external
// tiles, glyphs or fonts.
import * as maplibregl from "/static/vendor/maplibre-gl/dist/maplibre-gl.mjs";

function draw(element) {
const config = JSON.parse(element.dataset.config);

const style = {
  version: 8,
  sources: { page: { type: "geojson", data: config.features } },
  layers: [
    { id: "background", type: "background", paint: { "background-color": "#f3f1ea" } },
    { id: "steps", type: "fill", source: "page", filter: ["==", ["get", "kind"], "step"],
      paint: { "fill-opacity": 0.7, "fill-color": ["match", ["get", "method"],
        "cancelled", config.methods.cancelled, "reduced", config.methods.reduced,
        "cleared", config.methods.cleared, "#999999"] } },
    { id: "earlier", type: "line", source: "page",
      filter: ["all", ["==", ["get", "kind"], "version"], ["==", ["get", "last"], 0]],
      paint: { "line-color": "#777777", "line-width": 1, "line-dasharray": [2, 2] } },
    { id: "current", type: "line", source: "page",
      filter: ["all", ["==", ["get", "kind"], "version"], ["==", ["get", "last"], 1]],
      paint: { "line-color": "#b2182b", "line-width": 2 } },
    { id: "stored", type: "fill", source: "page", filter: ["==", ["get", "kind"], "stored"],
      paint: { "fill-color": "#999999", "fill-opacity": 0.35, "fill-outline-color": "#555555" } },
    { id: "submitted-fill", type: "fill", source: "page",
      filter: ["all", ["==", ["get", "kind"], "submitted"], ["==", ["geometry-type"], "Polygon"]],
      paint: { "fill-color": "#d6604d", "fill-opacity": 0.25 } },
    { id: "submitted-line", type: "line", source: "page",
      filter: ["==", ["get", "kind"], "submitted"],
      paint: { "line-color": "#b2182b", "line-width": 2 } },
    { id: "submitted-point", type: "circle", source: "page",
      filter: ["all", ["==", ["get", "kind"], "submitted"], ["==", ["geometry-type"], "Point"]],
      paint: { "circle-radius": 4, "circle-color": "#b2182b" } },
    { id: "perimeter", type: "line", source: "page", filter: ["==", ["get", "kind"], "perimeter"],
      paint: { "line-color": "#b2182b", "line-width": 2 } },
    { id: "proposed", type: "line", source: "page", filter: ["==", ["get", "kind"], "proposed"],
      paint: { "line-color": "#2166ac", "line-width": 2, "line-dasharray": [3, 2] } },
    { id: "rows", type: "line", source: "page", filter: ["==", ["get", "kind"], "row"],
      paint: { "line-color": "#555555", "line-width": 1 } },
    { id: "mines", type: "circle", source: "page", filter: ["==", ["get", "kind"], "mine"],
      paint: { "circle-radius": 3, "circle-color": "#ffffff", "circle-stroke-width": 1.5,
        "circle-stroke-color": "#b2182b" } },
    { id: "finds", type: "circle", source: "page", filter: ["==", ["get", "kind"], "find"],
      paint: { "circle-radius": 3, "circle-color": "#1a1a1a" } },
  ],
};

const options = { container: element, style, attributionControl: false };
if (config.bounds) {
  const [w, s, e, n] = config.bounds;
  options.bounds = [[w, s], [e, n]];
  options.fitBoundsOptions = { padding: 24 };
}
const map = new maplibregl.Map(options);
map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
}

document.querySelectorAll(".ws-map").forEach(draw);
