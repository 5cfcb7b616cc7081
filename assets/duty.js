/* The duty console's map: how areas look and are named (used by dash-leaflet GeoJSON). */
window.gwDuty = {
  areaStyle: function (feature) {
    var focus = feature.properties.role === "focus";
    return {
      color: focus ? "#38bdf8" : "#60a5fa",
      weight: focus ? 3 : 1.4,
      opacity: 0.9,
      fillColor: "#0ea5e9",
      fill: !focus, // the focus outline must not catch the clicks meant for its children
      fillOpacity: focus ? 0.0 : 0.12,
      dashArray: focus ? null : "4 3",
    };
  },
  hoverStyle: function () {
    return { weight: 3, color: "#fbbf24", fillOpacity: 0.3 };
  },
  areaLabel: function (feature, layer) {
    if (feature.properties.role !== "child") {
      return;
    }
    layer.bindTooltip(feature.properties.name, {
      permanent: true, direction: "center", className: "gw-duty-area-label",
    });
  },
};
