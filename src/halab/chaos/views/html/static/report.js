/* halab's game-day report: draws each scenario's timeline from the data inlined in #halab-data
   (see halab/chaos/views/html/_charts.py for its shape).

   One uPlot chart per probe, all sharing the time axis (seconds since the fault was injected):
   above the plot, the availability strip and one lane per measured figure (failover, longest
   stall, return disruption) drawn where it was measured; in the plot, every request's latency
   on a log scale over the fault window and the baseline band; across both, the events
   (injection, revert, role change, steady state again). Nothing here fetches anything. */
(function () {
  "use strict";

  // Okabe-Ito: ok, slow, failed, timed out, no request (the strip's classes, in _charts' order).
  var CLASS_COLOURS = ["#009E73", "#E69F00", "#D55E00", "#000000", "#DDDDDD"];
  var POINT_FILL = ["rgba(0,158,115,0.55)", "#E69F00", "#D55E00", "#000000"];
  var POINT_SIZE = [5, 8, 8, 9];
  var FAILOVER = "#0072B2", STALL = "#56B4E9", RETURN = "#CC79A7", EVENT = "#222222";
  var FAULT_FILL = "rgba(213,94,0,0.10)", BAND_FILL = "rgba(0,114,178,0.14)", BOUND = "#B07800";
  var FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";
  var EVENT_DASH = { inject: [], revert: [9, 5], role: [3, 4], steady: [12, 4, 3, 4] };

  // Layout, in CSS pixels. Every chart has the same left axis, so their time axes line up.
  var AXIS_Y = 124, AXIS_X = 42, RIGHT = 28;
  var EVENT_ROW = 24, EVENT_ROWS = 2, STRIP = 26, LANE = 24, GAP = 7;
  var PLOT_BUSY = 170, PLOT_QUIET = 120;

  function fmtSeconds(v) {
    var r = Math.round(v * 100) / 100;
    return (r > 0 ? "+" : "") + r + " s";
  }

  function fmtLatency(s) {
    if (s === null || s === undefined) return "";
    if (s >= 1) return +(s.toPrecision(3)) + " s";
    var ms = s * 1000;
    return (ms >= 10 ? Math.round(ms) : +(ms.toPrecision(2))) + " ms";
  }

  function decode(p) {
    var t = p.pts.t, l = p.pts.l, c = p.pts.c, n = t.length;
    var xs = new Array(n), lat = new Array(n), ys = [[], [], [], []];
    var acc = 0, i, k;
    for (k = 0; k < 4; k++) { ys[k] = new Array(n); for (i = 0; i < n; i++) ys[k][i] = null; }
    for (i = 0; i < n; i++) {
      acc = i === 0 ? t[0] : acc + t[i];
      xs[i] = acc / 1000;
      lat[i] = l[i] / 10000;
      ys[c[i]][i] = lat[i];
    }
    var extra = {};
    p.x.forEach(function (e) { extra[e[0]] = e; });
    return { xs: xs, ys: ys, lat: lat, cls: c, extra: extra };
  }

  function yRange(chart, decoded) {
    var lo = Infinity, hi = 0;
    chart.probes.forEach(function (p, i) {
      decoded[i].lat.forEach(function (v) { if (v < lo) lo = v; if (v > hi) hi = v; });
      if (p.bound) { hi = Math.max(hi, p.bound * 1.3); lo = Math.min(lo, p.bound); }
      if (p.base) { lo = Math.min(lo, p.base[0]); }
    });
    if (!isFinite(lo)) { lo = 0.001; hi = 1; }
    lo = Math.pow(10, Math.floor(Math.log10(Math.max(lo, 0.0001))));
    hi = Math.pow(10, Math.ceil(Math.log10(Math.max(hi, lo * 10))));
    return [lo, hi];
  }

  function lanesOf(p) {
    var lanes = [];
    var has = function (kind) { return p.figs.some(function (f) { return f.kind === kind; }); };
    if (has("failover") || has("newreq")) lanes.push("failover");
    if (has("stall")) lanes.push("stall");
    if (has("return")) lanes.push("return");
    return lanes;
  }

  function busy(p) {
    return p.strip.rle.some(function (v, i) { return i % 2 === 0 && v !== 0 && v !== 4; }) || lanesOf(p).indexOf("failover") >= 0;
  }

  // ---- drawing helpers (canvas pixels) ------------------------------------------------------

  function px(v) { return v * uPlot.pxRatio; }

  function font(size, weight) { return (weight || "") + " " + Math.round(px(size)) + "px " + FONT; }

  function xPos(u, t) { return u.valToPos(t, "x", true); }

  function clipX(u, ctx, top, height) {
    ctx.beginPath();
    ctx.rect(u.bbox.left, top, u.bbox.width, height);
    ctx.clip();
  }

  function label(ctx, text, x, y, colour, align, bg) {
    ctx.textAlign = align || "left";
    ctx.textBaseline = "middle";
    if (bg) {
      var w = ctx.measureText(text).width, h = px(18);
      var x0 = align === "right" ? x - w : x;
      ctx.fillStyle = bg;
      ctx.fillRect(x0 - px(3), y - h / 2, w + px(6), h);
    }
    ctx.fillStyle = colour;
    ctx.fillText(text, x, y);
  }

  // ---- one probe's chart ----------------------------------------------------------------------

  function makeChart(el, scenario, chart, p, d, opts) {
    var lanes = lanesOf(p);
    var eventsH = opts.first ? EVENT_ROW * EVENT_ROWS : 0;
    var padTop = eventsH + GAP + STRIP + GAP + lanes.length * LANE + (lanes.length ? GAP : 0);
    var plotH = busy(p) ? PLOT_BUSY : PLOT_QUIET;

    function geometry(u) {
      var origin = u.bbox.top - px(padTop);  // the canvas row where this chart's top band starts
      return {
        events: origin,
        strip: origin + px(eventsH + GAP),
        lane: function (i) { return origin + px(eventsH + GAP + STRIP + GAP + i * LANE); },
        bottom: u.bbox.top + u.bbox.height,
      };
    }

    function drawUnder(u) {
      var ctx = u.ctx, b = u.bbox;
      ctx.save();
      clipX(u, ctx, b.top, b.height);
      // The fault window.
      var f0 = xPos(u, chart.fault[0]), f1 = xPos(u, chart.fault[1]);
      ctx.fillStyle = FAULT_FILL;
      ctx.fillRect(f0, b.top, f1 - f0, b.height);
      // The baseline band: p50 to p99 of the requests before the injection.
      if (p.base) {
        var y50 = u.valToPos(p.base[0], "y", true), y99 = u.valToPos(p.base[1], "y", true);
        ctx.fillStyle = BAND_FILL;
        ctx.fillRect(b.left, Math.min(y50, y99), b.width, Math.max(px(2), Math.abs(y50 - y99)));
      }
      ctx.restore();
    }

    function drawOver(u) {
      var ctx = u.ctx, b = u.bbox, g = geometry(u);
      ctx.save();
      // The latency bound: slower successes count as bad.
      if (p.bound) {
        var yb = u.valToPos(p.bound, "y", true);
        ctx.save();
        clipX(u, ctx, b.top, b.height);
        ctx.strokeStyle = BOUND; ctx.lineWidth = px(2); ctx.setLineDash([px(7), px(5)]);
        ctx.beginPath(); ctx.moveTo(b.left, yb); ctx.lineTo(b.left + b.width, yb); ctx.stroke();
        ctx.setLineDash([]);
        ctx.font = font(14, "600");
        var above = yb - px(11) > b.top + px(9);  // else below the line, inside the plot
        label(ctx, "slow above " + fmtLatency(p.bound), b.left + b.width - px(6), yb + px(above ? -11 : 11), BOUND, "right", "rgba(255,255,255,0.85)");
        if (p.base) label(ctx, "baseline", b.left + px(6), u.valToPos(Math.sqrt(p.base[0] * p.base[1]), "y", true), "#0072B2", "left", "rgba(255,255,255,0.7)");
        ctx.restore();
      }
      // The availability strip.
      ctx.save();
      clipX(u, ctx, g.strip, px(STRIP));
      var k = p.strip.k0, rle = p.strip.rle;
      for (var i = 0; i < rle.length; i += 2) {
        var x0 = xPos(u, k * chart.cell), x1 = xPos(u, (k + rle[i + 1]) * chart.cell);
        ctx.fillStyle = CLASS_COLOURS[rle[i]];
        ctx.fillRect(x0, g.strip, Math.max(x1 - x0, 1), px(STRIP));
        k += rle[i + 1];
      }
      ctx.restore();
      // The probe's name beside its strip.
      ctx.font = font(17, "700");
      label(ctx, p.name + (p.judged && opts.judgedShown ? " ★" : ""), b.left - px(10), g.strip + px(STRIP / 2), "#111", "right");
      // The events, across the strip and the plot.
      chart.events.forEach(function (e) {
        var x = xPos(u, e.t);
        if (x < b.left - 1 || x > b.left + b.width + 1) return;
        ctx.strokeStyle = EVENT; ctx.lineWidth = px(e.kind === "inject" ? 3 : 2);
        ctx.setLineDash(EVENT_DASH[e.kind].map(px));
        ctx.beginPath(); ctx.moveTo(x, opts.first ? g.events + px(EVENT_ROW * 0.5) : g.strip - px(GAP)); ctx.lineTo(x, g.bottom); ctx.stroke();
      });
      ctx.setLineDash([]);
      if (opts.first) drawEventLabels(u, ctx, g);
      // The figures, each in its lane, where it was measured.
      lanes.forEach(function (lane, i) { drawLane(u, ctx, lane, g.lane(i)); });
      ctx.restore();
    }

    function drawEventLabels(u, ctx, g) {
      var b = u.bbox, rowsEnd = [], gap = px(10);
      ctx.font = font(15, "600");
      chart.events.slice().sort(function (a, e) { return a.t - e.t; }).forEach(function (e) {
        var x = xPos(u, e.t);
        if (x < b.left - 1 || x > b.left + b.width + 1) return;
        var w = ctx.measureText(e.label).width + px(8);
        var left = Math.min(x + px(4), b.left + b.width - w);
        var row = 0;
        while (row < EVENT_ROWS - 1 && rowsEnd[row] !== undefined && left < rowsEnd[row] + gap) row++;
        rowsEnd[row] = left + w;
        label(ctx, e.label, left + px(2), g.events + px(EVENT_ROW * (row + 0.5)), EVENT, "left", "#ffffff");
      });
    }

    function bar(u, ctx, from, to, y, colour) {
      var b = u.bbox;
      var x0 = Math.max(xPos(u, from), b.left), x1 = Math.min(to === null ? b.left + b.width : xPos(u, to), b.left + b.width);
      ctx.fillStyle = colour;
      if (x1 > x0) ctx.fillRect(x0, y - px(6), Math.max(x1 - x0, px(2)), px(12));
      if (to === null) {  // never recovered: an arrow off the right edge
        ctx.beginPath(); ctx.moveTo(x1, y - px(10)); ctx.lineTo(x1 + px(12), y); ctx.lineTo(x1, y + px(10)); ctx.fill();
      }
      return [x0, x1];
    }

    function barLabel(u, ctx, text, span, y, colour) {
      var b = u.bbox, w = ctx.measureText(text).width;
      if (span[1] + px(10) + w <= b.left + b.width) label(ctx, text, span[1] + px(10), y, colour, "left", "rgba(255,255,255,0.85)");
      else if (span[0] - px(10) - w >= b.left) label(ctx, text, span[0] - px(10), y, colour, "right", "rgba(255,255,255,0.85)");
      else label(ctx, text, b.left + b.width - px(4), y, colour, "right", "rgba(255,255,255,0.92)");
    }

    function drawLane(u, ctx, lane, top) {
      var y = top + px(LANE / 2), b = u.bbox;
      ctx.save();
      ctx.font = font(15, "700");
      var figs = p.figs.filter(function (f) {
        return lane === "failover" ? ["failover", "newreq", "budget"].indexOf(f.kind) >= 0 : f.kind === lane;
      });
      var texts = [], span = null, colour = lane === "failover" ? FAILOVER : lane === "stall" ? "#1d6f99" : "#9c3f78";
      figs.forEach(function (f) {
        if (f.kind === "failover" || f.kind === "stall" || f.kind === "return") {
          span = bar(u, ctx, f.from, f.to, y, lane === "failover" ? FAILOVER : lane === "stall" ? STALL : RETURN);
          texts.unshift(f.label);
        }
      });
      figs.forEach(function (f) {
        if (f.kind === "newreq" && f.at !== null) {  // a diamond where every request sent since was good
          var x = xPos(u, f.at);
          ctx.fillStyle = "#ffffff"; ctx.strokeStyle = FAILOVER; ctx.lineWidth = px(3);
          ctx.beginPath(); ctx.moveTo(x, y - px(9)); ctx.lineTo(x + px(7), y); ctx.lineTo(x, y + px(9)); ctx.lineTo(x - px(7), y); ctx.closePath();
          ctx.fill(); ctx.stroke();
          texts.push("◇ " + f.label);
        } else if (f.kind === "newreq") {
          texts.push(f.label);
        } else if (f.kind === "budget") {  // the budget: a bracket the bar should stay inside
          var xb = xPos(u, f.at);
          if (xb >= b.left && xb <= b.left + b.width) {
            ctx.strokeStyle = "#444"; ctx.lineWidth = px(2.5);
            ctx.beginPath(); ctx.moveTo(xb - px(5), y - px(10)); ctx.lineTo(xb, y - px(10)); ctx.lineTo(xb, y + px(10)); ctx.lineTo(xb - px(5), y + px(10)); ctx.stroke();
          }
          texts.push(f.label);
        }
      });
      var recovered = figs.some(function (f) { return f.kind === "failover" && f.to !== null; });
      if (lane === "failover" && span && recovered) {
        ctx.save();  // where the failover ends, down through the plot
        clipX(u, ctx, b.top, b.height);
        ctx.strokeStyle = FAILOVER; ctx.lineWidth = px(2); ctx.setLineDash([px(6), px(4)]);
        ctx.beginPath(); ctx.moveTo(span[1], top + px(LANE)); ctx.lineTo(span[1], b.top + b.height); ctx.stroke();
        ctx.restore();
      }
      var budget = figs.filter(function (f) { return f.kind === "budget"; })[0];
      var after = span ? [span[0], Math.max(span[1], budget ? xPos(u, budget.at) : span[1])] : [b.left, b.left];
      barLabel(u, ctx, texts.join(" · "), after, y, colour);
      ctx.restore();
    }

    var ringEl = document.createElement("div");
    ringEl.className = "hover-ring";

    var u = new uPlot({
      width: Math.max(el.clientWidth, 480),
      height: padTop + plotH + AXIS_X,
      padding: [padTop, RIGHT, 0, 0],
      legend: { show: false },
      cursor: {
        sync: { key: scenario, setSeries: false, scales: ["x", null] },
        drag: { x: true, y: false, setScale: true },
        points: { show: false },
        y: false,
      },
      scales: {
        x: { time: false, range: chart.x.slice() },
        y: { distr: 3, log: 10, range: opts.yRange.slice() },
      },
      axes: [
        {
          font: "15px " + FONT, size: AXIS_X, stroke: "#333", grid: { stroke: "#e6e6e6", width: 1 },
          ticks: { stroke: "#bbb" }, space: 70,
          values: function (u, splits) { return splits.map(fmtSeconds); },
        },
        {
          font: "15px " + FONT, size: AXIS_Y, stroke: "#333", grid: { stroke: "#e6e6e6", width: 1 },
          ticks: { stroke: "#bbb" }, space: 12,
          splits: function (u) {
            var s = [], lo = u.scales.y.min, hi = u.scales.y.max;
            for (var v = lo; v <= hi * 1.0001; v *= 10) s.push(v);
            return s;
          },
          values: function (u, splits) { return splits.map(fmtLatency); },
        },
      ],
      series: [{}].concat([0, 1, 2, 3].map(function (c) {
        return {
          stroke: CLASS_COLOURS[c], fill: POINT_FILL[c], width: 0, paths: function () { return null; },
          points: { show: true, size: POINT_SIZE[c], width: 0, fill: POINT_FILL[c], stroke: POINT_FILL[c] },
        };
      })),
      hooks: {
        drawClear: [drawUnder],
        draw: [drawOver],
        ready: [function (u) { u.over.appendChild(ringEl); }],
      },
    }, [d.xs].concat(d.ys), el);

    // Details of the request nearest the pointer (within 16 px), in the scenario's hover line.
    u.over.addEventListener("mousemove", function (ev) {
      var hit = nearest(u, d, ev.offsetX, ev.offsetY, 16);
      if (hit < 0) { ringEl.style.display = "none"; return; }
      ringEl.style.display = "block";
      ringEl.style.left = u.valToPos(d.xs[hit], "x") + "px";
      ringEl.style.top = u.valToPos(d.lat[hit], "y") + "px";
      opts.hover(describe(p, d, hit));
    });
    u.over.addEventListener("mouseleave", function () { ringEl.style.display = "none"; });
    return u;
  }

  function nearest(u, d, left, top, radius) {
    var lo = u.posToVal(left - radius, "x"), hi = u.posToVal(left + radius, "x");
    var a = 0, z = d.xs.length, best = -1, bestD = radius * radius;
    while (a < z) { var m = (a + z) >> 1; if (d.xs[m] < lo) a = m + 1; else z = m; }
    for (var i = a; i < d.xs.length && d.xs[i] <= hi; i++) {
      var dx = u.valToPos(d.xs[i], "x") - left, dy = u.valToPos(d.lat[i], "y") - top, dd = dx * dx + dy * dy;
      if (dd <= bestD) { best = i; bestD = dd; }
    }
    return best;
  }

  function describe(p, d, i) {
    var names = ["ok", "slow", "failed", "timed out"];
    var parts = [["b", p.name], ["span", " · " + names[d.cls[i]]], ["span", " · due at " + fmtSeconds(d.xs[i])],
                 ["span", " · latency " + fmtLatency(d.lat[i])]];
    var e = d.extra[i];
    if (e) {
      var s = function (k) { return k === null || k === undefined ? null : p.str[k]; };
      if (s(e[1]) && s(e[1]) !== "ok") parts.push(["span", " · " + s(e[1])]);
      if (e[2] !== null) parts.push(["span", " · status " + e[2]]);
      if (e[3] !== null) parts.push(["span", " · seq " + e[3]]);
      if (s(e[4])) parts.push(["span", " · served by " + s(e[4])]);
      if (s(e[5])) parts.push(["span", " via " + s(e[5])]);
      if (s(e[6])) parts.push(["span", " · " + s(e[6]).trim()]);
    }
    return parts;
  }

  // ---- a scenario ---------------------------------------------------------------------------

  function renderScenario(el, chart, anchor) {
    var decoded = chart.probes.map(decode);
    var range = yRange(chart, decoded);
    var hoverLine = document.querySelector('[data-hover="' + anchor + '"]');
    var hover = function (parts) {
      hoverLine.textContent = "";
      parts.forEach(function (part) {  // text nodes only: the journal's strings are never markup
        var node = document.createElement(part[0]);
        node.textContent = part[1];
        hoverLine.appendChild(node);
      });
    };
    var judgedShown = chart.probes.some(function (p) { return !p.judged; });
    var plots = chart.probes.map(function (p, i) {
      var box = document.createElement("div");
      box.className = "probe-chart";
      box.setAttribute("data-probe", p.name);
      box.setAttribute("role", "img");
      box.setAttribute("aria-label", p.name + ": availability and latency of each request over time");
      el.appendChild(box);
      return makeChart(box, anchor, chart, p, decoded[i], { first: i === 0, yRange: range, hover: hover, judgedShown: judgedShown });
    });
    var axisNote = document.createElement("div");
    axisNote.className = "hint";
    axisNote.style.textAlign = "center";
    axisNote.textContent = "seconds since the fault was injected (the time each request was due)";
    el.appendChild(axisNote);
    if (window.ResizeObserver) {
      var width = el.clientWidth;
      new ResizeObserver(function () {
        if (el.clientWidth === width) return;
        width = el.clientWidth;
        plots.forEach(function (u) { u.setSize({ width: Math.max(width, 480), height: u.height }); });
      }).observe(el);
    }
    return plots;
  }

  // The charts by scenario, for a console or a browser test: halabReport.charts["s-pg-leader-kill"][1].
  var data = JSON.parse(document.getElementById("halab-data").textContent);
  window.halabReport = { data: data, charts: {} };
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var anchor = el.getAttribute("data-chart");
    window.halabReport.charts[anchor] = renderScenario(el, data[anchor], anchor);
  });
  document.documentElement.setAttribute("data-charts-rendered", String(Object.keys(window.halabReport.charts).length));
})();
