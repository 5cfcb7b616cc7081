/* The alerts page's map (/duty): how areas look and are named (used by dash-leaflet GeoJSON). */
window.gwAlerts = {
  // alert levels as the wall colours them
  levelColors: { blue: "#2563eb", yellow: "#eab308", orange: "#f97316", red: "#dc2626" },
  areaStyle: function (feature, context) {
    var p = feature.properties;
    var focus = p.role === "focus";
    var picked = context && context.hideout && context.hideout.picked === p.id;
    var alerted = p.alert ? window.gwAlerts.levelColors[p.alert] : null;
    return {
      color: picked ? "#fbbf24" : focus ? "#38bdf8" : "#60a5fa",
      weight: picked ? 4 : focus ? 3 : 1.4,
      opacity: 0.95,
      fillColor: alerted || "#0ea5e9",
      fill: !focus, // the focus outline must not catch the clicks meant for its children
      fillOpacity: focus ? 0.0 : alerted ? 0.45 : 0.12,
      dashArray: focus || picked ? null : "4 3",
    };
  },
  // the confirmation's map: the area in its level's colour inside its parent's outline
  confirmStyle: function (feature) {
    var p = feature.properties;
    if (p.role !== "target") {
      return { color: "#94a3b8", weight: 1.5, opacity: 0.9, fill: false, dashArray: "4 3" };
    }
    var colour = window.gwAlerts.levelColors[p.level] || "#38bdf8";
    return { color: colour, weight: 3, opacity: 1, fillColor: colour, fillOpacity: 0.45 };
  },
  hoverStyle: function () {
    return { weight: 3, color: "#fbbf24", fillOpacity: 0.3 };
  },
  areaLabel: function (feature, layer) {
    if (feature.properties.role !== "child" && feature.properties.role !== "target") {
      return;
    }
    layer.bindTooltip(feature.properties.name, {
      permanent: true, direction: "center", className: "gw-alerts-area-label",
    });
  },
};
