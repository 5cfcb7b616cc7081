/* Gridwatch browser glue: Leaflet styling functions and clientside callbacks.
 * Deltas from Socket.IO are merged here, in the browser, so a tick never costs
 * a server round trip. */
(function () {
  "use strict";

  var STATE_COLORS = {
    online: "#22c55e",
    low_battery: "#f59e0b",
    offline: "#64748b",
  };
  var STATE_LABELS = {
    online: "在线",
    low_battery: "低电量",
    offline: "离线",
    never: "未上报",
  };
  var STATE_ORDER = ["online", "low_battery", "offline", "never"];
  // Alert levels, low to high (蓝/黄/橙/红); the same colours as wall.css.
  var ALERT_COLORS = { blue: "#3b82f6", yellow: "#facc15", orange: "#f97316", red: "#ef4444" };

  window.gw = {
    staffMarker: function (feature, latlng) {
      var state = feature.properties.state;
      var scale = Math.max(1, window.innerWidth / 1920);  // 4K walls: same size to the eye
      return L.circleMarker(latlng, {
        className: "gw-staff gw-staff-" + feature.properties.id + " gw-state-" + state,
        radius: (state === "offline" ? 4 : 6) * scale,
        color: "#0b1220",
        weight: 1,
        fillColor: STATE_COLORS[state] || "#94a3b8",
        fillOpacity: state === "offline" ? 0.6 : 0.95,
      });
    },
    staffTooltip: function (feature, layer) {
      var p = feature.properties;
      var battery = p.battery == null ? "" : " · 电量 " + Math.round(p.battery) + "%";
      layer.bindTooltip(p.name + "（" + p.post + "）" + STATE_LABELS[p.state] + battery);
    },
    incidentMarker: function (feature, latlng) {
      var p = feature.properties;
      var scale = Math.max(1, window.innerWidth / 1920);
      var color = p.deadline === "red" ? "#ef4444" : p.deadline === "yellow" ? "#facc15"
        : p.state === "reported" || p.state === "escalated" ? "#38bdf8" : "#a78bfa";
      return L.circleMarker(latlng, {
        className: "gw-incident gw-incident-" + p.id + (p.deadline === "red" ? " gw-overdue" : ""),
        radius: 9 * scale, color: color, weight: 3 * scale, fillColor: "#0b1220", fillOpacity: 0.6,
      });
    },
    incidentTooltip: function (feature, layer) {
      var p = feature.properties;
      layer.bindTooltip(p.no + " " + p.category + "：" + p.title + "（" + p.state_label + "）");
    },
    boundaryStyle: function (feature) {
      var role = feature.properties.role;
      if (role === "grid") {
        return { color: "#2f5b8f", weight: 1, opacity: 0.8, fillOpacity: 0, interactive: false };
      }
      var focus = role === "focus";
      var p = feature.properties;
      if (role === "child" && p.online !== undefined) {
        // counts per area (very large focus): shade by the share of staff online
        var share = p.staff ? p.online / p.staff : 0;
        return {
          color: "#38bdf8", weight: 1.5, opacity: 0.9,
          fillColor: share > 0.5 ? "#22c55e" : share > 0.2 ? "#16a34a" : share > 0 ? "#166534" : "#1e293b",
          fillOpacity: 0.55,
        };
      }
      return {
        color: focus ? "#38bdf8" : "#1e88e5",
        weight: focus ? 3 : 1.2,
        opacity: 0.9,
        fillColor: "#0ea5e9",
        fillOpacity: focus ? 0.0 : 0.06,
        dashArray: focus ? null : "4 3",
      };
    },
    alertAreaStyle: function (feature) {
      var p = feature.properties;
      var color = ALERT_COLORS[p.level] || "#94a3b8";
      var scale = Math.max(1, window.innerWidth / 1920);
      return {
        className: "gw-alert-area gw-alert-area-" + p.level + " gw-alert-area-" + p.alert,
        color: color, weight: 2.5 * scale, opacity: 0.95,
        fillColor: color, fillOpacity: p.level === "red" ? 0.38 : 0.3,
        interactive: false,
      };
    },
    boundaryLabel: function (feature, layer) {
      var p = feature.properties;
      if (p.role === "grid") { return; }
      var online = p.online === undefined ? "" : " · 在线 " + p.online;
      if (p.label) {
        var text = p.online === undefined ? p.name : p.name + "<br>" + p.online + " / " + p.staff;
        layer.bindTooltip(text, { permanent: true, direction: "center", className: "gw-area-label" });
        return;
      }
      layer.bindTooltip(p.kind + " " + p.name + " · " + p.staff + " 人" + online, { sticky: true });
    },
  };

  // A Dash request answered 401 means the session ended: go to the login page the server
  // names, which says why (logged out, timed out, account disabled). A request still in
  // flight when the person pressed 退出 must not turn the logout into "会话已超时".
  // One answered 503 (or not at all) means Redis, the database or the server is down:
  // a failed callback is silent in Dash, so a banner says so until requests work again.
  var plainFetch = window.fetch;
  function loginAfter(body) {
    var target = body && body.login;
    return typeof target === "string" && /^\/login(\?|$)/.test(target) ? target : "/login?notice=ended";
  }
  var OUTAGE_TEXT = "服务暂不可用，正在自动重试…";
  var outage = { banner: null, timer: null };

  function showOutage(message) {
    if (!outage.banner) {
      var el = document.createElement("div");
      el.id = "gw-unavailable";
      el.setAttribute("role", "alert");
      var s = el.style;  // CSSOM properties: allowed by the CSP, unlike a style attribute
      s.position = "fixed"; s.top = "0"; s.left = "0"; s.right = "0"; s.zIndex = "10000";
      s.padding = "10px 16px"; s.textAlign = "center"; s.fontSize = "18px";
      s.fontWeight = "600"; s.background = "#b45309"; s.color = "#ffffff";
      s.boxShadow = "0 2px 10px rgba(0, 0, 0, 0.45)";
      document.body.appendChild(el);
      outage.banner = el;
    }
    outage.banner.textContent = message || OUTAGE_TEXT;
    if (!outage.timer) { outage.timer = setInterval(probeOutage, 5000); }
  }

  function hideOutage() {
    if (outage.banner) { outage.banner.remove(); outage.banner = null; }
    if (outage.timer) { clearInterval(outage.timer); outage.timer = null; }
  }

  // pages without a timer of their own would never notice the recovery: ask every 5 s
  function probeOutage() {
    plainFetch("/_dash-layout", { credentials: "same-origin" }).then(function (response) {
      if (response.status === 401) {
        response.json().then(
          function (body) { window.location.assign(loginAfter(body)); },
          function () { window.location.assign(loginAfter(null)); }
        );
      }
      if (response.ok) { hideOutage(); }
    }).catch(function () { /* still down */ });
  }

  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : (input && input.url) || "";
    var dash = url.indexOf("/_dash-") !== -1;
    return plainFetch(input, init).then(function (response) {
      if (response.status === 401 && dash) {
        response.clone().json().then(
          function (body) { window.location.assign(loginAfter(body)); },
          function () { window.location.assign(loginAfter(null)); }
        );
      } else if (response.status === 503 && dash) {
        response.clone().json().then(function (body) {
          showOutage(body && body.message ? body.message + "…" : OUTAGE_TEXT);
        }).catch(function () { showOutage(OUTAGE_TEXT); });
      } else if (response.ok && dash) {
        hideOutage();
      }
      return response;
    }, function (error) {
      if (dash) { showOutage(OUTAGE_TEXT); }  // the server itself does not answer
      throw error;
    });
  };
  window.gw.outageBanner = function () { return outage.banner ? outage.banner.textContent : null; };

  var TICKER_SIZE = 8;
  var incidents = { focus: null, byId: {}, feed: [] };

  // Per-page browser state lives on window, never on the server.
  var live = { focus: null, byId: {}, fixTimes: [], meta: null };

  // A marker row is dashboard/realtime/bridge.py's Delta, sent as an array in its
  // field order: [staff, lat, lon, ts, state, battery, name, post, grid].
  var STAFF = 0, LAT = 1, LON = 2, TS = 3, STATE = 4, BATTERY = 5, NAME = 6, POST = 7, GRID = 8;

  function feature(row) {
    return {
      type: "Feature",
      geometry: { type: "Point", coordinates: [row[LON], row[LAT]] },
      properties: {
        id: row[STAFF], ts: row[TS], state: row[STATE], battery: row[BATTERY],
        name: row[NAME], post: row[POST], grid: row[GRID],
      },
    };
  }

  function applyRow(row) {
    var current = live.byId[row[STAFF]];
    if (row[LAT] === null) {          // a state change without a position
      if (current) { current.properties.state = row[STATE]; }
      return false;
    }
    if (current && current.properties.ts > row[TS]) { return false; }
    live.byId[row[STAFF]] = feature(row);
    return true;
  }

  function pad(n) { return n < 10 ? "0" + n : "" + n; }

  // Every time on the wall reads in the deployment's display zone (meta gw-timezone,
  // GRIDWATCH_DISPLAY_TIMEZONE), never in the zone the wall PC happens to be set to.
  var zoneParts = null;
  function displayParts(date) {
    if (!zoneParts) {
      var meta = document.querySelector('meta[name="gw-timezone"]');
      zoneParts = new Intl.DateTimeFormat("en-US", {
        timeZone: (meta && meta.content) || "Asia/Shanghai",
        year: "numeric", month: "numeric", day: "numeric",
        hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
      });
    }
    var out = {};
    zoneParts.formatToParts(date).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }
  function hhmmss(date) {
    var p = displayParts(date);
    return p.hour + ":" + p.minute + ":" + p.second;
  }

  function stateCounts() {
    if (live.meta && live.meta.aggregate) {
      var c = live.meta.state_counts;
      var all = live.meta.total;
      var agg = { online: c.online, low_battery: c.low_battery, offline: c.offline,
                  never: Math.max(0, all - c.online - c.low_battery - c.offline) };
      return { counts: agg, perChild: live.meta.online_by_child, total: all };
    }
    var counts = { online: 0, low_battery: 0, offline: 0, never: 0 };
    var perChild = {};
    var childOf = (live.meta && live.meta.child_of_grid) || {};
    Object.keys(live.byId).forEach(function (id) {
      var p = live.byId[id].properties;
      counts[p.state] = (counts[p.state] || 0) + 1;
      if (p.state !== "offline") {
        var child = childOf[p.grid];
        if (child !== undefined) { perChild[child] = (perChild[child] || 0) + 1; }
      }
    });
    var total = live.meta ? live.meta.total : 0;
    counts.never = Math.max(0, total - counts.online - counts.low_battery - counts.offline);
    return { counts: counts, perChild: perChild, total: total };
  }

  function bar(counts, total) {
    return STATE_ORDER.map(function (key) {
      var share = total ? (100 * counts[key]) / total : 0;
      return {
        namespace: "dash_html_components", type: "Div",
        props: { className: "gw-bar-seg gw-bg-" + key, style: { width: share + "%" },
                 title: STATE_LABELS[key] + " " + counts[key] },
      };
    });
  }

  function legend(counts) {
    return STATE_ORDER.map(function (key) {
      return {
        namespace: "dash_html_components", type: "Li",
        props: { children: [
          { namespace: "dash_html_components", type: "Span", props: { className: "gw-dot gw-dot-" + key } },
          { namespace: "dash_html_components", type: "Span", props: { className: "gw-state-label", children: STATE_LABELS[key] } },
          { namespace: "dash_html_components", type: "Span", props: { className: "gw-state-count", children: String(counts[key]), "data-state": key } },
        ] },
      };
    });
  }

  function childList(perChild) {
    var children = (live.meta && live.meta.children) || [];
    if (!children.length) {
      return { namespace: "dash_html_components", type: "Div",
               props: { className: "gw-empty", children: "已是最小网格，无下级单位" } };
    }
    return children.map(function (c) {
      var online = perChild[c.id] || 0;
      var share = c.total ? Math.round((100 * online) / c.total) : 0;
      return {
        namespace: "dash_html_components", type: "Div",
        props: { className: "gw-child", children: [
          { namespace: "dash_html_components", type: "Span", props: { className: "gw-child-name", children: c.name } },
          { namespace: "dash_html_components", type: "Span", props: { className: "gw-child-count", children: online + " / " + c.total } },
          { namespace: "dash_html_components", type: "Div", props: { className: "gw-child-bar", children:
            { namespace: "dash_html_components", type: "Div", props: { className: "gw-child-fill", style: { width: share + "%" } } } } },
        ] },
      };
    });
  }

  // ---- Alerts (预警) ------------------------------------------------------
  // ``seen`` is the newest seq applied per alert id and is never reset, so a
  // repeated or older push (a relay that published a row twice) changes nothing;
  // ``live`` holds the live items, keyed by alert id.
  var ANNOUNCE_ACTIONS = { issue: "新发布", reissue: "重新发布", raise: "预警升级" };
  var alerts = { focusPath: null, seen: {}, live: {}, outlines: {}, flip: false, snapshot: null,
                 bannerShown: false, refit: [], announced: null };
  // a pushed item the record's view does not have yet is kept this long (the view
  // may have been read just before the push's commit)
  var ALERT_GRACE_MS = 5000;

  function concerns(alertPath, focusPath) {
    return !focusPath || focusPath.indexOf(alertPath) === 0 || alertPath.indexOf(focusPath) === 0;
  }

  function applyAlert(item, now, pushed) {
    var known = alerts.seen[item.id] || 0;
    if (pushed ? item.seq <= known : item.seq < known) { return false; }
    alerts.seen[item.id] = item.seq;
    if (!item.live) {
      delete alerts.live[item.id];
      return true;
    }
    var prev = alerts.live[item.id];
    var copy = Object.assign({}, item);
    copy.issued_at = item.issued_at || (prev && prev.issued_at) || item.at;
    copy._rx = pushed ? now : (prev && prev.seq === item.seq ? prev._rx : 0);
    alerts.live[item.id] = copy;
    return true;
  }

  function applyAlertStore(store, now) {
    if (!store) {                      // no focus in scope: nothing to show
      alerts.live = {};
      alerts.focusPath = null;
      return;
    }
    if (store.focus_path !== alerts.focusPath) { alerts.live = {}; }
    alerts.focusPath = store.focus_path;
    Object.assign(alerts.outlines, store.outlines || {});
    var inStore = {};
    (store.items || []).forEach(function (item) {
      inStore[item.id] = true;
      applyAlert(item, now, false);
    });
    Object.keys(alerts.live).forEach(function (id) {
      var item = alerts.live[id];
      var fresh = now - (item._rx || 0) < ALERT_GRACE_MS;
      if (!concerns(item.path, store.focus_path) || (!inStore[id] && !fresh)) {
        delete alerts.live[id];
      }
    });
  }

  function when(iso) {
    var t = Date.parse(iso);
    return isNaN(t) ? 0 : t;
  }

  function sortedAlerts() {
    return Object.keys(alerts.live).map(function (id) { return alerts.live[id]; })
      .filter(function (item) { return concerns(item.path, alerts.focusPath); })
      .sort(function (a, b) {
        return (b.rank - a.rank) || (when(b.issued_at) - when(a.issued_at)) || (b.id - a.id);
      });
  }

  function shortTime(iso) {
    var t = when(iso);
    if (!t) { return ""; }
    var d = displayParts(new Date(t));
    var today = displayParts(new Date());
    var hm = d.hour + ":" + d.minute;
    var sameDay = d.year === today.year && d.month === today.month && d.day === today.day;
    return sameDay ? hm : d.month + "月" + d.day + "日 " + hm;
  }

  function el(type, className, children, extra) {
    var props = Object.assign({ className: className, children: children }, extra || {});
    return { namespace: "dash_html_components", type: type, props: props };
  }

  function alertBanner(list) {
    if (!list.length) { return [null, "gw-alert-banner gw-hidden"]; }
    var top = list[0];
    var parts = [
      el("Span", "gw-banner-level", top.level_label + "预警"),
      el("Span", "gw-banner-place", top.node_name),
      el("Span", "gw-banner-title", top.title),
    ];
    if (list.length > 1) {
      parts.push(el("Span", "gw-banner-more", "另有 " + (list.length - 1) + " 条生效预警"));
    }
    return [parts, "gw-alert-banner gw-level-" + top.level + " gw-alert-" + top.id];
  }

  function alertList(list) {
    if (!list.length) { return el("Li", "gw-empty", "当前无生效预警"); }
    return list.map(function (item) {
      var meta = [item.node_name, item.category_label || item.category, "至 " + shortTime(item.valid_until)];
      return el("Li", "gw-alert gw-level-" + item.level + " gw-alert-" + item.id, [
        el("Span", "gw-alert-chip", item.level_label),
        el("Span", "gw-alert-title", item.title),
        el("Span", "gw-alert-meta", meta.filter(Boolean).join(" · ")),
      ], { "data-level": item.level, "data-alert": String(item.id) });
    });
  }

  // The shapes to shade for each live alert: the focus itself for an alert at or above
  // it; else the alerted node's own outline when the wall draws it (a child area or a
  // grid), else the drawn grids beneath it, else the outline the server sent along.
  function alertAreas(list, snapshot) {
    var features = (snapshot && snapshot.boundaries && snapshot.boundaries.features) || [];
    var focusFeature = null;
    var byId = {};
    features.forEach(function (f) {
      byId[f.properties.id] = f;
      if (f.properties.role === "focus") { focusFeature = f; }
    });
    var out = [];
    list.slice().reverse().forEach(function (item) {   // lowest first: the highest draws on top
      var shapes = [];
      var focusPath = focusFeature && focusFeature.properties.path;
      if (focusFeature && focusPath && focusPath.indexOf(item.path) === 0) {
        shapes = [focusFeature.geometry];
      } else if (byId[item.node_id] && byId[item.node_id].properties.role !== "focus") {
        shapes = [byId[item.node_id].geometry];
      } else {
        shapes = features.filter(function (f) {
          return f.properties.role === "grid" && f.properties.path && f.properties.path.indexOf(item.path) === 0;
        }).map(function (f) { return f.geometry; });
        if (!shapes.length && alerts.outlines[item.node_id]) { shapes = [alerts.outlines[item.node_id]]; }
      }
      shapes.forEach(function (geometry) {
        out.push({ type: "Feature", geometry: geometry,
                   properties: { alert: item.id, level: item.level, rank: item.rank, name: item.node_name } });
      });
    });
    return { type: "FeatureCollection", features: out };
  }

  function refitFocus() {
    var bounds = alerts.snapshot && alerts.snapshot.bounds;
    if (!bounds || !window.dash_clientside.set_props) { return; }
    window.dash_clientside.set_props("wall-map", {
      invalidateSize: Date.now(),
      viewport: { bounds: bounds, transition: "fitBounds" },
    });
  }

  function alertOutputs(announce) {
    var nu = window.dash_clientside.no_update;
    var list = sortedAlerts();
    var banner = alertBanner(list);
    var bannerShown = list.length > 0;
    var resized = nu;
    if (bannerShown !== alerts.bannerShown) {
      // the banner takes height from the map (or gives it back): Leaflet measures the
      // map again now, and the focus is fitted into what is left once any zoom
      // animation is over (Leaflet drops a fit asked for while it animates one)
      alerts.bannerShown = bannerShown;
      resized = Date.now();
      alerts.refit.forEach(clearTimeout);
      alerts.refit = [setTimeout(refitFocus, 600), setTimeout(refitFocus, 1600)];
    }
    var shown = [nu, nu];
    if (announce) {
      shown = announcement(announce);
      alerts.announced = { id: announce.id, until: Date.now() + 8000 };
    } else if (alerts.announced && !alerts.live[alerts.announced.id]) {
      // lifted (or expired) while still announced: take the announcement down at once
      if (Date.now() < alerts.announced.until) { shown = [null, "gw-announce"]; }
      alerts.announced = null;
    }
    return [banner[0], banner[1], alertList(list), list.length ? String(list.length) : "",
            alertAreas(list, alerts.snapshot), shown[0], shown[1], resized];
  }

  function announcement(item) {
    alerts.flip = !alerts.flip;
    var lines = [
      el("Div", "gw-announce-head", [
        el("Span", "gw-announce-kind", ANNOUNCE_ACTIONS[item.action] || "预警"),
        el("Span", "gw-announce-level", item.level_label + "预警"),
      ]),
      el("Div", "gw-announce-title", item.node_name + " · " + item.title),
      el("Div", "gw-announce-meta",
         (item.category_label || item.category) + " · 有效至 " + shortTime(item.valid_until)),
    ];
    return [lines, "gw-announce gw-level-" + item.level + (alerts.flip ? " gw-announce-a" : " gw-announce-b")];
  }

  // A short tone made with WebAudio (no audio files). Browsers let a page sound only
  // after a user gesture: the "提示音" toggle is one, and any later click or key on
  // the page resumes a context the browser suspended (e.g. after a reload).
  var sound = { ctx: null, played: 0 };
  function audioContext() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return null; }
    if (!sound.ctx) { sound.ctx = new Ctx(); }
    if (sound.ctx.state === "suspended") { sound.ctx.resume(); }
    return sound.ctx;
  }
  var TONES = { blue: [660], yellow: [660, 660], orange: [740, 740, 740], red: [880, 660, 880, 660] };
  function playTone(level) {
    var ctx = audioContext();
    if (!ctx) { return; }
    var at = ctx.currentTime + 0.02;
    (TONES[level] || TONES.blue).forEach(function (freq) {
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.35, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.24);
      osc.connect(gain);
      gain.connect(ctx.destination);
      osc.start(at);
      osc.stop(at + 0.26);
      at += 0.32;
    });
    sound.played += 1;
  }
  function unlockAudio(event) {
    var onToggle = event.target && event.target.closest && event.target.closest("#wall-alert-sound");
    // the toggle itself, a context to resume, or sound left on before a reload
    if (onToggle || sound.ctx || document.querySelector("#wall-alert-sound.gw-sound-on")) {
      audioContext();
    }
  }
  document.addEventListener("pointerdown", unlockAudio, true);
  document.addEventListener("keydown", unlockAudio, true);
  window.gw.alertSound = {
    play: playTone,
    played: function () { return sound.played; },
    state: function () { return sound.ctx ? sound.ctx.state : "none"; },
  };

  var rotation = { key: null, start: 0 };

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.gw = {
    mergeStaff: function (snapshot, delta) {
      var nu = window.dash_clientside.no_update;
      // Both inputs can change in one render cycle (a push arriving while the
      // focus loads), so look at every triggered prop, snapshot first.
      var props = (window.dash_clientside.callback_context.triggered || []).map(function (t) {
        return t.prop_id;
      });
      var snapshotChanged = props.some(function (p) { return p.indexOf("wall-snapshot") === 0; });
      var deltaChanged = props.some(function (p) { return p.indexOf("data-pos") !== -1; });
      var now = Date.now();
      if (snapshotChanged && !snapshot) {
        live = { focus: null, byId: {}, fixTimes: [], meta: null };
        var zero = { online: 0, low_battery: 0, offline: 0, never: 0 };
        return [{ type: "FeatureCollection", features: [] }, "0", "0", "0", "—",
                bar(zero, 0), legend(zero), childList({})];
      }
      if (snapshot && (snapshotChanged || live.meta === null || live.focus !== snapshot.focus)) {
        if (live.focus !== snapshot.focus) { live.fixTimes = []; }
        live.focus = snapshot.focus;
        live.meta = snapshot;
        live.byId = {};
        snapshot.staff.forEach(applyRow);
      } else if (!deltaChanged || !delta || !live.meta) {
        return [nu, nu, nu, nu, nu, nu, nu, nu];
      }
      if (deltaChanged && delta && live.meta) {
        var moved = 0;
        if (live.meta.aggregate) {
          moved = delta.n || 0;     // counts-only room: no markers to move
        } else {
          (delta.d || []).forEach(function (row) { if (applyRow(row)) { moved += 1; } });
        }
        live.fixTimes.push([now, moved]);
        live.lastUpdate = new Date(delta.t * 1000);
      }
      live.fixTimes = live.fixTimes.filter(function (e) { return now - e[0] < 60000; });
      var perMinute = live.fixTimes.reduce(function (sum, e) { return sum + e[1]; }, 0);
      var summary = stateCounts();
      var online = summary.counts.online + summary.counts.low_battery;
      var features = Object.keys(live.byId).map(function (id) { return live.byId[id]; });
      return [
        { type: "FeatureCollection", features: features },
        String(online),
        String(summary.total),
        String(perMinute),
        live.lastUpdate ? hhmmss(live.lastUpdate) : "—",
        bar(summary.counts, summary.total),
        legend(summary.counts),
        childList(summary.perChild),
      ];
    },
    mergeIncidents: function (snapshot, delta) {
      var nu = window.dash_clientside.no_update;
      var props = (window.dash_clientside.callback_context.triggered || []).map(function (t) {
        return t.prop_id;
      });
      var fresh = props.some(function (p) { return p.indexOf("wall-snapshot") === 0; });
      if (fresh || incidents.focus !== (snapshot && snapshot.focus)) {
        incidents = { focus: snapshot && snapshot.focus, byId: {}, feed: [] };
        ((snapshot && snapshot.incidents) || []).forEach(function (item) {
          incidents.byId[item.id] = item;
        });
        incidents.feed = ((snapshot && snapshot.incidents) || []).slice(0, TICKER_SIZE);
      }
      if (props.some(function (p) { return p.indexOf("data-inc") !== -1; }) && delta) {
        (delta.d || []).forEach(function (item) {
          if (item.finished) { delete incidents.byId[item.id]; } else { incidents.byId[item.id] = item; }
          incidents.feed.unshift(item);
        });
        incidents.feed = incidents.feed.slice(0, TICKER_SIZE);
      } else if (!fresh && !snapshot) {
        return [nu, nu];
      }
      var features = Object.keys(incidents.byId).map(function (id) {
        var item = incidents.byId[id];
        if (item.lat == null || item.lon == null) { return null; }
        return { type: "Feature", geometry: { type: "Point", coordinates: [item.lon, item.lat] },
                 properties: item };
      }).filter(Boolean);
      var ticker = incidents.feed.length ? incidents.feed.map(function (item) {
        var cls = "gw-tick" + (item.deadline === "red" ? " gw-tick-red" : item.deadline === "yellow" ? " gw-tick-yellow" : "");
        var when = item.at ? hhmmss(new Date(item.at)) : "";
        return { namespace: "dash_html_components", type: "Li", props: { className: cls, children: [
          { namespace: "dash_html_components", type: "Span", props: { className: "gw-tick-time", children: when } },
          { namespace: "dash_html_components", type: "Span", props: { className: "gw-tick-state", children: item.deadline === "red" ? "超时" : item.state_label } },
          { namespace: "dash_html_components", type: "Span", props: { className: "gw-tick-title", children: item.category + " · " + item.title } },
        ] } };
      }) : { namespace: "dash_html_components", type: "Li", props: { className: "gw-empty", children: "暂无事件" } };
      return [{ type: "FeatureCollection", features: features }, ticker];
    },
    mergeAlerts: function (store, snapshot) {
      // the record's view of the focus (on load, every 30 s, after each push) and the
      // map's shapes; never announces: nothing here is new to an operator
      var props = (window.dash_clientside.callback_context.triggered || []).map(function (t) {
        return t.prop_id;
      });
      if (props.indexOf("wall-alerts.data") !== -1) { applyAlertStore(store, Date.now()); }
      alerts.snapshot = snapshot;
      return alertOutputs(null);
    },
    mergeAlertPush: function (push, soundOn) {
      var nu = window.dash_clientside.no_update;
      if (!push) { return [nu, nu, nu, nu, nu, nu, nu, nu]; }
      var now = Date.now();
      var announce = null;
      (push.d || []).forEach(function (item) {
        if (!applyAlert(item, now, true) || !item.live || !ANNOUNCE_ACTIONS[item.action]) { return; }
        if (!concerns(item.path, alerts.focusPath)) { return; }
        if (!announce || item.rank > announce.rank) { announce = item; }
      });
      if (announce && soundOn) { playTone(announce.level); }
      return alertOutputs(announce);
    },
    toggleAlertSound: function (clicks, on) {
      var enable = !on;
      if (enable) { playTone("blue"); }   // the click is the gesture: confirm it sounds
      return enable;
    },
    alertSoundLabel: function (on) {
      return on ? ["提示音 开", "gw-sound gw-sound-on"] : ["提示音 关", "gw-sound gw-sound-off"];
    },
    clock: function () {
      return hhmmss(new Date());
    },
    connection: function (connected) {
      return connected ? ["● 实时连接", "gw-conn gw-conn-ok"] : ["○ 连接中断，重连中…", "gw-conn gw-conn-bad"];
    },
    // The wall's playlist (dashboard/access/wall_playlist.py): which view is on and how
    // long until the next. It starts over when the playlist changes; the map view only
    // uncovers the live map, which kept running underneath.
    rotateWall: function (tick, playlist) {
      var views = (playlist && playlist.enabled && playlist.views) || [];
      var out = ["gw-rank-view gw-hidden", "", "gw-next gw-hidden"];
      if (views.length) {
        var key = JSON.stringify(playlist);
        var now = Date.now();
        if (rotation.key !== key) { rotation.key = key; rotation.start = now; }
        var span = Math.max(1, playlist.seconds) * 1000;
        var elapsed = now - rotation.start;
        var view = views[Math.floor(elapsed / span) % views.length];
        out[0] = view === "rankings" ? "gw-rank-view" : "gw-rank-view gw-hidden";
        if (views.length > 1) {
          var left = Math.max(1, Math.ceil((span - (elapsed % span)) / 1000));
          out[1] = "下一屏 " + left + "s";
          out[2] = "gw-next gw-next-" + view;
        }
      } else {
        rotation.key = null;
      }
      // a wall runs for months: only what differs from the page is handed to React each
      // second (read from the page itself, so a re-rendered wall is never out of step)
      var nu = window.dash_clientside.no_update;
      var coverEl = document.getElementById("wall-rank-view");
      var nextEl = document.getElementById("wall-next");
      var onPage = [
        coverEl && coverEl.className, nextEl && nextEl.textContent, nextEl && nextEl.className,
      ];
      return out.map(function (value, i) { return value === onPage[i] ? nu : value; });
    },
    wallChart: function (figure) {
      if (!figure) { return window.dash_clientside.no_update; }
      var scale = Math.max(1, window.innerWidth / 1920);
      var fig = JSON.parse(JSON.stringify(figure));
      var layout = fig.layout || {};
      layout.font = layout.font || {};
      layout.font.size = Math.round((layout.font.size || 16) * scale);
      (layout.annotations || []).forEach(function (a) {
        if (a.font && a.font.size) { a.font.size = Math.round(a.font.size * scale); }
      });
      if (layout.margin) {
        ["l", "r", "t", "b"].forEach(function (k) {
          if (layout.margin[k]) { layout.margin[k] = Math.round(layout.margin[k] * scale); }
        });
      }
      (fig.data || []).forEach(function (trace) {
        if (trace.line && trace.line.width) { trace.line.width *= scale; }
        if (trace.marker && trace.marker.size) { trace.marker.size *= scale; }
      });
      fig.layout = layout;
      return fig;
    },
  };
})();
