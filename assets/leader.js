/* The leader page's map by score (/leader, 得分地图): how areas are filled and named.
 * dash-leaflet's GeoJSON calls these by name (style / onEachFeature); the fill colour and
 * the text come from the server (dashboard/access/assessment_map.py), so the scale has one
 * home. Names are written as text, never as HTML. */
window.gwLeader = {
  areaStyle: function (feature) {
    var p = feature.properties;
    if (p.role === "focus") {
      // the outline of the node in focus: no fill, so taps reach the areas inside it
      return { color: "#38bdf8", weight: 3, opacity: 0.95, fill: false, interactive: false };
    }
    return {
      className: "gw-lead-area gw-lead-area-" + p.unit_id + (p.score == null ? " gw-lead-area-none" : ""),
      color: "#0b1220", weight: 1.5, opacity: 0.9,
      fillColor: p.fill || "#64748b", fillOpacity: p.score == null ? 0.45 : 0.72,
    };
  },
  areaLabel: function (feature, layer) {
    var p = feature.properties;
    if (p.role !== "child") { return; }
    var box = document.createElement("div");
    String(p.tooltip || p.name).split("\n").forEach(function (line, i) {
      var part = document.createElement(i ? "div" : "strong");
      part.textContent = line;
      box.appendChild(part);
    });
    // few areas: every name, rank and score written on the map (nothing only on hover);
    // many: the text follows the finger or pointer, and the ranking lists them all
    layer.bindTooltip(box, p.label
      ? { permanent: true, direction: "center", className: "gw-lead-area-label" }
      : { sticky: true, className: "gw-lead-area-tip" });
  },
};
