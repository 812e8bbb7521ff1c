// The report page's script: everything comes from the embedded report data.
// The data island carries its large sections packed (typed arrays, deflated, base64; see
// reportgen/report/embed.py): they are decoded once, then the page starts. The threshold
// slider recounts every threshold-dependent number from the grid; the charts are embedded
// live (replacing their static SVG) and follow the slider too.
(function () {
  "use strict";
  var TYPES = { uint8: Uint8Array, uint16: Uint16Array, int32: Int32Array, float64: Float64Array };

  function bytesOf(base64) {
    var text = atob(base64), n = text.length, out = new Uint8Array(n);
    for (var i = 0; i < n; i++) out[i] = text.charCodeAt(i);
    return out;
  }
  function inflate(bytes) {  // the browser's own zlib ("deflate" is RFC 1950, as Python's zlib.compress)
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).arrayBuffer();
  }
  var POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
               1e18, 1e19, 1e20, 1e21, 1e22];  // exact, as embed.POW10
  function unpackArray(node) {
    var exponents = node.exponents ? unpackArray(node.exponents) : Promise.resolve(null);
    return Promise.all([inflate(bytesOf(node.data)), exponents, unpack(node.nulls || [], null)]).then(function (parts) {
      var buffer = parts[0], powers = parts[1];
      var stored = new TYPES[node.dtype](buffer), n = stored.length, shape = node.shape;
      var row = shape.length > 1 ? shape[shape.length - 1] : n, out = new Array(n), i;
      if (node.delta) {
        var sum = 0;
        for (i = 0; i < n; i++) { if (i % row === 0) sum = 0; sum += stored[i]; out[i] = sum; }
      } else {
        for (i = 0; i < n; i++) out[i] = stored[i];
      }
      if (node.scale) { for (i = 0; i < n; i++) out[i] = out[i] / node.scale; }
      else if (powers) { for (i = 0; i < n; i++) out[i] = out[i] / POW10[powers[i]]; }
      (parts[2] || []).forEach(function (at) { out[at] = null; });
      for (var d = shape.length - 1; d >= 1; d--) {
        var size = shape[d], nested = [];
        for (i = 0; i < out.length; i += size) nested.push(out.slice(i, i + size));
        out = nested;
      }
      return out;
    });
  }
  function own(object, key, value) {  // a key named "__proto__" stays an ordinary key
    if (key === "__proto__") {
      Object.defineProperty(object, key, { value: value, enumerable: true, writable: true, configurable: true });
    } else object[key] = value;
  }
  // A node of the island (see embed.py); `names` is the report's classes.
  function unpack(node, names) {
    if (Array.isArray(node)) return Promise.all(node.map(function (item) { return unpack(item, names); }));
    if (node === null || typeof node !== "object") return Promise.resolve(node);
    if (node.kind === "classes") return Promise.resolve(names.slice());
    if (node.kind === "map") {
      return Promise.all([unpack(node.keys, names), unpack(node.values, names)]).then(function (parts) {
        var out = {}, values = parts[1];
        parts[0].forEach(function (key, i) { own(out, key, values[i]); });
        return out;
      });
    }
    if (node.kind === "records") {
      return Promise.all([Promise.all(node.columns.map(function (c) { return unpack(c, names); })),
                          unpack(node.nulls, names)]).then(function (parts) {
        var columns = parts[0], out = new Array(node.length), nulls = {}, r = 0;
        parts[1].forEach(function (i) { nulls[i] = true; });
        for (var i = 0; i < node.length; i++) {
          if (nulls[i]) { out[i] = null; continue; }
          var item = {};
          for (var c = 0; c < columns.length; c++) own(item, node.keys[c], columns[c][r]);
          out[i] = item;
          r++;
        }
        return out;
      });
    }
    if (node.kind === "strings") {
      return unpackArray(node.index).then(function (index) { return index.map(function (i) { return node.values[i]; }); });
    }
    if (node.kind === "ragged") {
      return Promise.all([unpack(node.lengths, names), unpack(node.values, names)]).then(function (parts) {
        var start = 0;
        return parts[0].map(function (length) { start += length; return parts[1].slice(start - length, start); });
      });
    }
    return unpackArray(node);
  }
  // The report as --metrics-json wrote it.
  function readReport(data) {
    var packed = data.packed || [];
    return Promise.all(packed.map(function (key) { return unpack(data[key], data.classes); })).then(function (sections) {
      var report = {};
      Object.keys(data).forEach(function (key) { if (key !== "packed") own(report, key, data[key]); });
      packed.forEach(function (key, i) { own(report, key, sections[i]); });
      return report;
    });
  }

  var started = readReport(JSON.parse(document.getElementById("report-data").textContent)).then(start);
  window.reportgenPage = { ready: started.then(function (page) { return page.ready; }) };
  started.catch(function (err) { if (window.console) console.error("reportgen: the report data could not be read:", err); });

  function start(report) {
    // the controls this script drives, hidden from a page without it
    Array.prototype.forEach.call(document.querySelectorAll("[data-needs-script]"), function (el) { el.hidden = false; });
  var grid = report.threshold_grid || null;  // none in a label-only report: no slider, no curves
  var T = grid ? grid.thresholds : [report.threshold];
  var classes = report.classes;
  var task = report.task;
  var kind = (report.inputs || {}).kind || "scores";
  // the model's own predicted labels decide: single-label predicted counts do not follow the slider
  var fixedCounts = task === "multiclass" || (kind !== "scores" && task !== "multilabel");
  var MACRO = "macro average";
  var MANY = classes.length > 12;
  var views = [];
  var slider = document.getElementById("threshold");
  var output = document.getElementById("threshold-value");
  var picked = "";  // the class picked by the reader ("" for none)

  function nearest(value) {
    var lo = 0, hi = T.length - 1;
    while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (T[mid] <= value) lo = mid; else hi = mid; }
    return Math.abs(T[hi] - value) < Math.abs(T[lo] - value) ? hi : lo;
  }
  // The one counts -> ratios helper (arrays of equal length): precision, recall and F1, a 0/0
  // ratio is 0 (scikit-learn's zero_division=0). Mirrors reportgen/ratios.py.
  function ratios(tp, fp, fn) {
    var n = tp.length, precision = new Array(n), recall = new Array(n), f1 = new Array(n);
    for (var i = 0; i < n; i++) {
      precision[i] = divide(tp[i], tp[i] + fp[i]);
      recall[i] = divide(tp[i], tp[i] + fn[i]);
      f1[i] = divide(2 * tp[i], 2 * tp[i] + fp[i] + fn[i]);
    }
    return { precision: precision, recall: recall, f1: f1 };
  }
  function divide(a, b) { return b > 0 ? a / b : 0; }
  function mean(values) { var s = 0; for (var i = 0; i < values.length; i++) s += values[i]; return s / values.length; }
  // The page's two number formats, as reportgen/numbers.py: a ratio with 3 decimals (fmt) and a
  // count with thousands separators and the report's count digits (countText, below).
  function fmt(x) { return x === null || x === undefined || !isFinite(x) ? "\u2014" : x.toFixed(3).replace("-", "\u2212"); }
  function withSeparators(text) {  // "20000.5" -> "20,000.5"
    var parts = text.split(".");
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return parts.join(".");
  }
  // A score in an example list: at least two significant digits (format_score in report/templating.py).
  function formatScore(x) {
    if (x === null || x === undefined) return "\u2014";
    if (x === 0) return "0";
    return Math.abs(x) >= 0.01 ? x.toFixed(3) : x.toExponential(1);
  }
  function setText(el, text) { if (el && el.textContent !== text) el.textContent = text; }
  function column(key, at) { return classes.map(function (name) { return grid.classes[name][key][at]; }); }

  // ---------------------------------------------------------------- datasets
  // (mirrors reportgen/report/charts.py: datasets; past MANY classes only the picked class is drawn)
  function shown() {
    if (MANY) return picked ? [classes.indexOf(picked)] : [];
    return task === "binary" ? [1] : classes.map(function (_, j) { return j; });
  }

  function curvesOfModel(kind, x, y, short) {
    var area = kind === "roc" ? "roc_auc" : "average_precision";
    var rows = [];
    shown().forEach(function (j) {
      var name = classes[j], curve = report.curves[name][kind];
      if (!curve) return;
      var value = report.per_class[j][area];
      var row = { "class": name, label: value === null ? name : name + " (" + short + " " + value.toFixed(3) + ")",
                  order: j, model: "model", key: "model:" + name, macro: false };
      row[x] = curve[x]; row[y] = curve[y];
      rows.push(row);
    });
    var macro = (report.macro_curves || {})[kind];
    if (macro && (MANY || task !== "binary")) {
      var summary = report.summary[kind === "roc" ? "roc_auc_macro" : "average_precision_macro"];
      var m = { "class": MACRO, label: summary === null ? MACRO : MACRO + " (" + short + " " + summary.toFixed(3) + ")",
                order: classes.length, model: "model", key: "macro:model", macro: true };
      m[x] = macro[x]; m[y] = macro[y];
      rows.push(m);
    }
    return rows;
  }

  // (order, legend entry) of the model or the baseline in the dash legend (charts._model_label)
  function modelLabel(kind, short, baseline) {
    var source = baseline ? report.baseline : report, name = baseline ? source.name : "model";
    var value = source.summary[kind === "roc" ? "roc_auc_macro" : "average_precision_macro"];
    var area = task === "binary" ? short : "macro " + short;
    return [baseline ? 1 : 0, value === null || value === undefined ? name : name + " (" + area + " " + value.toFixed(3) + ")"];
  }
  function curves(kind, x, y, short) {
    var model = curvesOfModel(kind, x, y, short);
    var rows = model.concat(baselineCurves(model, kind, x, y));
    rows.forEach(function (r) {
      var m = modelLabel(kind, short, r.model !== "model");
      r.model_order = m[0]; r.model_label = m[1];
    });
    if (!rows.some(function (r) { return r.macro || !MANY; })) {
      // A colour legend with nothing in it makes Vega's layout infinitely tall: one entry says why
      // (a single point draws no line).
      var none = { "class": "", label: "no curve to draw", order: classes.length + 1, model: "model", key: "none",
                   macro: true, model_order: 0, model_label: "model" };
      none[x] = [0]; none[y] = [0];
      rows.push(none);
    }
    return rows;
  }

  // The baseline's curves share their class's colour (label) and differ by dash.
  function baselineCurves(model, kind, x, y) {
    var rows = [];
    var baseline = report.baseline;
    if (!baseline) return rows;
    var labels = {};
    model.forEach(function (r) { labels[r["class"]] = r.label; });
    if (baseline.curves && !MANY) {
      shown().forEach(function (j) {
        var name = classes[j], curve = baseline.curves[name][kind];
        if (!curve) return;
        var row = { "class": name, label: labels[name] || name, order: j, model: baseline.name, key: "base:" + name,
                    macro: false };
        row[x] = curve[x]; row[y] = curve[y];
        rows.push(row);
      });
    } else if (baseline.macro_curves && baseline.macro_curves[kind]) {
      var macro = baseline.macro_curves[kind];
      var b = { "class": MACRO, label: labels[MACRO] || MACRO, order: classes.length, model: baseline.name,
                key: "macro:base", macro: true };
      b[x] = macro[x]; b[y] = macro[y];
      rows.push(b);
    }
    return rows;
  }

  function points(at) {
    var rows = [];
    shown().forEach(function (j) {
      var name = classes[j], g = grid.classes[name];
      var tp = g.tp[at], fp = g.fp[at], fn = g.fn[at], tn = g.tn[at];
      if (tp + fn === 0 || fp + tn === 0) return;
      var auc = report.per_class[j].roc_auc, ap = report.per_class[j].average_precision;
      rows.push({ "class": name,
                  roc_label: auc === null ? name : name + " (AUC " + auc.toFixed(3) + ")",
                  pr_label: ap === null ? name : name + " (AP " + ap.toFixed(3) + ")",
                  order: j, threshold: T[at], fpr: fp / (fp + tn), tpr: tp / (tp + fn), recall: tp / (tp + fn),
                  // a curve's point: no prediction has precision 1 (where the PR curve starts)
                  precision: tp + fp ? tp / (tp + fp) : 1 });
    });
    return rows;
  }

  var METRICS = ["precision", "recall", "f1"];
  // Precision, recall and F1 at every grid threshold: the macro average (class "") and each class drawn.
  var macroLines = grid ? (function () {
    var names = task === "binary" ? [classes[1]] : classes, sums = { precision: [], recall: [], f1: [] };
    T.forEach(function () { METRICS.forEach(function (m) { sums[m].push(0); }); });
    names.forEach(function (name) {
      var g = grid.classes[name], r = ratios(g.tp, g.fp, g.fn);
      METRICS.forEach(function (m) { for (var i = 0; i < T.length; i++) sums[m][i] += r[m][i]; });
    });
    METRICS.forEach(function (m) { sums[m] = sums[m].map(function (v) { return v / names.length; }); });
    return sums;
  })() : null;
  function thresholdRows() {
    var rows = [];
    function add(name, lines) {
      METRICS.forEach(function (m) {
        for (var i = 0; i < T.length; i++) rows.push({ "class": name, t: T[i], metric: m, value: lines[m][i] });
      });
    }
    add("", macroLines);
    shown().forEach(function (j) { var g = grid.classes[classes[j]]; add(classes[j], ratios(g.tp, g.fp, g.fn)); });
    return rows;
  }

  // multiclass predictions (argmax) and predicted labels do not depend on the threshold: summed once
  // (dense or sparse matrix)
  var predictedArgmax = fixedCounts ? (function () {
    var cm = report.confusion_matrix, out = classes.map(function () { return 0; });
    if (cm.counts) cm.counts.forEach(function (row) { row.forEach(function (c, j) { out[j] += c; }); });
    else cm.sparse.predicted.forEach(function (j, i) { out[j] += cm.sparse.count[i]; });
    return out;
  })() : null;

  function counts(at) {
    var rows = [];
    report.per_class.forEach(function (entry, j) {
      var predicted;
      if (!grid) predicted = entry.at_threshold.total_predicted;
      else if (fixedCounts) predicted = predictedArgmax[j];
      else if (task === "binary") {
        var p = grid.classes[classes[1]];
        var positive = p.tp[at] + p.fp[at];
        predicted = j === 1 ? positive : report.n_examples - positive;
      } else predicted = grid.classes[entry["class"]].tp[at] + grid.classes[entry["class"]].fp[at];
      rows.push({ "class": entry["class"], kind: "labeled", count: entry.support });
      rows.push({ "class": entry["class"], kind: "predicted", count: predicted });
    });
    return rows;
  }

  var ADVICE = { max_f1: "best F1", target_precision: "precision \u2265 ", target_recall: "recall \u2265 " };
  function adviceMarks() {
    function marks(advice, cls, scope) {
      // a target kept only where every example is predicted as every class is not offered (charts.offered)
      return Object.keys(advice || {}).filter(function (k) {
        return advice[k] && ADVICE[k] && !(advice[k].predicts_all && k !== "max_f1");
      }).map(function (k) {
        var v = advice[k];
        return { "class": cls, scope: scope, what: k === "max_f1" ? ADVICE[k] : ADVICE[k] + v.target, threshold: v.threshold };
      });
    }
    var rows = marks(report.advice_overall, "", "all classes");
    if (task !== "binary") {
      Object.keys(report.advice || {}).forEach(function (name) { rows = rows.concat(marks(report.advice[name], name, name)); });
    }
    return lanes(rows);
  }
  // Each rule label's side and height, off the axis and off its neighbours (charts._lanes).
  var LABEL_WIDTH = 0.06, LANES = 3;
  function lanes(rows) {
    var placed = {};
    rows.slice().sort(function (a, b) {
      return a["class"] < b["class"] ? -1 : a["class"] > b["class"] ? 1 : a.threshold - b.threshold;
    }).forEach(function (row) {
      var t = row.threshold, right = t < 0.5;
      var low = right ? t : t - LABEL_WIDTH, high = right ? t + LABEL_WIDTH : t;
      if (!Object.prototype.hasOwnProperty.call(placed, row["class"])) placed[row["class"]] = [];
      var taken = placed[row["class"]], lane = 0;
      while (lane < LANES && taken.some(function (p) { return p[0] === lane && low < p[2] && p[1] < high; })) lane++;
      taken.push([lane, low, high]);
      row.side = right ? "right" : "left";
      row.lane_at = Math.min(lane, LANES - 1) / LANES;
    });
    return rows;
  }

  // The matrices' rows and columns: every class, or the shown ones and "other" (compact form).
  var matrix = (function () {
    var cm = report.confusion_matrix, top = cm.shown, pm = report.probability_matrix;  // no pm without scores
    if (!top) return { labels: classes, other: classes.map(function () { return false; }), counts: cm.counts,
                       normalized: cm.normalized, mean: pm ? pm.mean_score : null, index: null };
    var labels = top.index.map(function (i) { return classes[i]; });
    labels.push("other (" + top.other.classes.toLocaleString("en-US") + " classes)");
    return { labels: labels, other: labels.map(function (_, i) { return i === labels.length - 1; }),
             counts: top.counts, normalized: top.normalized, mean: pm ? pm.shown.mean_score : null,
             index: top.index };
  })();
  function matrixCells(values, extra) {
    var rows = [];
    values.forEach(function (row, i) {
      row.forEach(function (value, j) {
        var cell = { actual: matrix.labels[i], predicted: matrix.labels[j], row: i, col: j,
                     actual_other: matrix.other[i], predicted_other: matrix.other[j], count: value };
        Object.keys(extra).forEach(function (k) { cell[k] = extra[k][i][j]; });
        rows.push(cell);
      });
    });
    return rows;
  }
  var confusionRows = matrixCells(matrix.counts, { share: matrix.normalized });
  var probabilityRows = !matrix.mean ? [] : matrixCells(matrix.mean, {}).filter(function (c) { return c.count !== null; }).map(function (c) {
    return { actual: c.actual, "class": c.predicted, row: c.row, col: c.col, actual_other: c.actual_other,
             predicted_other: c.predicted_other, mean: c.count };
  });

  function datasets(at) {
    if (!grid) return { confusion: confusionRows, counts: counts(at) };  // label-only: the decision charts only
    return {
      roc_curves: curves("roc", "fpr", "tpr", "AUC"),
      pr_curves: curves("pr", "recall", "precision", "AP"),
      points: points(at),
      threshold_rows: thresholdRows(),
      advice_marks: adviceMarks(),
      confusion: confusionRows,
      probability: probabilityRows,
      counts: counts(at),
      calibration: report.calibration.bins
    };
  }

  // ---------------------------------------------------------------- the table (every class, a page at a time)
  var PAGE = 100;
  var table = document.getElementById("summary-table");
  var body = table ? table.tBodies[0] : null;
  var filterBox = document.getElementById("class-filter");
  var pager = document.getElementById("table-pager");
  var deltas = (report.deltas || {}).per_class || null;
  var advice = report.advice || null;
  var COUNT_KEYS = ["tp", "fp", "fn", "total_labeled", "total_predicted"];
  var columns = table ? Array.prototype.slice.call(table.querySelectorAll("thead th[data-column]")).map(function (th) {
    var button = th.querySelector("button");
    return { th: th, key: th.getAttribute("data-column"), numeric: !!button && button.getAttribute("data-sort") === "num" };
  }) : [];
  // The values in the table, one array per column over the classes; at first each class's
  // own counts at its threshold (per_class), after a slider move the grid's at that threshold.
  var values = {};
  function setValues(at) {
    var tp, fp, fn;
    if (at === null) {
      var at0 = report.per_class.map(function (e) { return e.at_threshold; });
      tp = at0.map(function (a) { return a.tp; }); fp = at0.map(function (a) { return a.fp; });
      fn = at0.map(function (a) { return a.fn; });
    } else { tp = column("tp", at); fp = column("fp", at); fn = column("fn", at); }
    var r = ratios(tp, fp, fn);
    values.tp = tp; values.fp = fp; values.fn = fn;
    values.total_labeled = tp.map(function (v, j) { return v + fn[j]; });
    values.total_predicted = tp.map(function (v, j) { return v + fp[j]; });
    values.precision = r.precision; values.recall = r.recall; values.f1 = r.f1;
  }
  setValues(null);
  // the decisions' own ratios (multiclass: the highest score), when the table shows them beside the threshold's
  ["recall", "precision", "f1"].forEach(function (k) {
    values["decision_" + k] = report.per_class.map(function (e) { return e[k]; });
  });
  values.roc_auc = report.per_class.map(function (e) { return e.roc_auc; });
  values.average_precision = report.per_class.map(function (e) { return e.average_precision; });
  values.delta_f1 = classes.map(function (name) { return deltas && deltas[name] ? deltas[name].f1 : null; });
  values.delta_auc = classes.map(function (name) { return deltas && deltas[name] ? deltas[name].roc_auc : null; });

  var order = classes.map(function (_, j) { return j; });  // filtered and sorted class indices
  var pageStart = 0;
  var visible = [];  // [{j, tr, cells}] of the rows in the DOM

  // Counts (sums of weights when weighted) with the report's one rule: inputs.count_digits
  // decimals and thousands separators, as the page's server-side cells (format_count in reportgen/numbers.py).
  var countDigits = (report.inputs && report.inputs.count_digits) || 0;
  function countText(value) {
    return value === null || value === undefined ? "\u2014" : withSeparators(Number(value).toFixed(countDigits));
  }
  function signed(x) {
    if (x === null || x === undefined) return "\u2014";
    var text = Math.abs(x).toFixed(3);
    return parseFloat(text) === 0 ? text : (x > 0 ? "+" : "\u2212") + text;
  }
  function makeRow(j) {
    var name = classes[j], tr = document.createElement("tr"), cells = {};
    tr.setAttribute("data-class", name);
    if (name === picked) tr.className = "highlighted";
    columns.forEach(function (col) {
      var key = col.key;
      if (key === "class") {
        var th = document.createElement("th"); th.scope = "row";
        var b = document.createElement("button");
        b.type = "button"; b.className = "pick"; b.setAttribute("data-pick", "");
        b.setAttribute("aria-label", "highlight " + name + " in the charts"); b.textContent = name;
        b.title = name;  // the whole name, where the column cuts it short
        th.appendChild(b); tr.appendChild(th); return;
      }
      var td = document.createElement("td");
      td.className = "num";
      if (key === "best") {
        var best = advice && advice[name] && advice[name].max_f1;
        if (best) {
          var link = document.createElement("button");
          link.type = "button"; link.className = "link"; link.setAttribute("data-set-threshold", best.threshold);
          link.setAttribute("aria-label", "set the threshold to " + best.threshold.toFixed(2) + ", best F1 of " + name);
          link.textContent = best.threshold.toFixed(2);
          td.appendChild(link);
        }
      } else if (key === "delta_f1" || key === "delta_auc") {
        td.className = "num delta"; td.textContent = signed(values[key][j]);
      } else {
        td.setAttribute("data-metric", key);
        var v = values[key][j];
        td.textContent = COUNT_KEYS.indexOf(key) >= 0 ? countText(v) : fmt(v);
        cells[key] = td;
      }
      tr.appendChild(td);
    });
    return { j: j, tr: tr, cells: cells };
  }
  function renderTable() {
    if (!body) return;
    if (pageStart >= order.length) pageStart = Math.max(0, Math.floor((order.length - 1) / PAGE) * PAGE);
    var slice = order.slice(pageStart, pageStart + PAGE);
    visible = slice.map(makeRow);
    var fragment = document.createDocumentFragment();
    visible.forEach(function (row) { fragment.appendChild(row.tr); });
    body.textContent = "";
    body.appendChild(fragment);
    if (pager) {
      var paged = order.length > PAGE || classes.length > PAGE;
      pager.hidden = !paged;
      var status = pager.querySelector("[data-pager-status]");
      var end = Math.min(order.length, pageStart + PAGE);
      setText(status, order.length ? "classes " + (pageStart + 1).toLocaleString("en-US") + "\u2013" +
              end.toLocaleString("en-US") + " of " + order.length.toLocaleString("en-US") +
              (order.length < classes.length ? " matching" : "") : "no class matches");
      pager.querySelector("[data-page=prev]").disabled = pageStart === 0;
      pager.querySelector("[data-page=next]").disabled = end >= order.length;
    }
  }
  var sortState = null;  // {column, ascending}
  function applyOrder() {
    var needle = filterBox ? filterBox.value.trim().toLowerCase() : "";
    order = [];
    for (var j = 0; j < classes.length; j++) if (!needle || classes[j].toLowerCase().indexOf(needle) >= 0) order.push(j);
    if (sortState) {
      var col = columns[sortState.column], key = col.key, sign = sortState.ascending ? 1 : -1;
      order.sort(function (a, b) {
        var u, v;
        if (key === "class") { u = classes[a]; v = classes[b]; }
        else {
          u = values[key][a]; v = values[key][b];
          u = u === null || isNaN(u) ? -Infinity : u; v = v === null || isNaN(v) ? -Infinity : v;
        }
        return (u < v ? -1 : u > v ? 1 : a - b) * sign;
      });
    }
  }
  if (table) {
    columns.forEach(function (col, index) {
      var button = col.th.querySelector("button");
      if (!button) return;
      button.addEventListener("click", function () {
        var ascending = col.th.getAttribute("aria-sort") !== "ascending";
        columns.forEach(function (c) { if (c.th.hasAttribute("aria-sort")) c.th.setAttribute("aria-sort", "none"); });
        col.th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        sortState = { column: index, ascending: ascending };
        applyOrder();
        pageStart = 0;
        renderTable();
      });
    });
    // One listener for every row, whichever page is shown: picking a class, advice thresholds.
    body.addEventListener("click", function (event) {
      var target = event.target.closest("button");
      if (!target) return;
      if (target.hasAttribute("data-pick")) pick(target.closest("tr").getAttribute("data-class"));
      else if (target.hasAttribute("data-set-threshold")) setThreshold(target.getAttribute("data-set-threshold"));
    });
    if (filterBox) {
      filterBox.closest("[data-filter]").hidden = false;
      filterBox.addEventListener("input", function () { applyOrder(); pageStart = 0; renderTable(); });
    }
    if (pager) {
      pager.addEventListener("click", function (event) {
        var button = event.target.closest("button[data-page]");
        if (!button) return;
        pageStart = Math.max(0, pageStart + (button.getAttribute("data-page") === "next" ? PAGE : -PAGE));
        renderTable();
      });
    }
    renderTable();
  }

  var macroCells = {};
  document.querySelectorAll("td[data-macro]").forEach(function (td) { macroCells[td.getAttribute("data-macro")] = td; });
  var tiles = {};
  document.querySelectorAll("[data-tile-value]").forEach(function (el) { tiles[el.getAttribute("data-tile-value")] = el; });

  // A cell's text only changes when it must.
  function setCell(td, text) {
    if (!td) return;
    var node = td.firstChild;
    if (node && node.nodeType === 3 && !node.nextSibling) { if (node.data !== text) node.data = text; }
    else if (td.textContent !== text) td.textContent = text;
  }

  // The analysis section's slice rows: their TP, FP and FN follow the slider too.
  var slices = report.slices || [];
  var sliceRows = Array.prototype.slice.call(document.querySelectorAll("tr[data-slice-index]"));
  function updateSlices(at) {
    sliceRows.forEach(function (row) {
      var s = slices[+row.getAttribute("data-slice-index")];
      if (!s || !s.grid) return;
      ["tp", "fp", "fn"].forEach(function (key) {
        var cell = row.querySelector('td[data-slice-metric="' + key + '"]');
        var text = countText(s.grid[key][at]);
        if (cell && cell.textContent !== text) { cell.textContent = text; cell.setAttribute("data-value", String(s.grid[key][at])); }
      });
    });
  }

  function updateTable(at) {
    setValues(at);
    visible.forEach(function (row) {
      COUNT_KEYS.forEach(function (k) { setCell(row.cells[k], countText(values[k][row.j])); });
      METRICS.forEach(function (k) { setCell(row.cells[k], fmt(values[k][row.j])); });
    });
    METRICS.forEach(function (k) { setCell(macroCells[k], fmt(mean(values[k]))); });  // the mean of the column
  }

  function updateTiles(at) {
    if (task === "multiclass" || kind !== "scores") return;  // decided by argmax or by the predicted labels
    var tp = column("tp", at), fp = column("fp", at), fn = column("fn", at), tn = column("tn", at);
    var total = tp[0] + fp[0] + fn[0] + tn[0];  // examples (sums of weights when weighted)
    var r = ratios(tp, fp, fn);
    if (task === "binary") {  // the positive class's (scikit-learn's average='binary')
      setText(tiles.precision, fmt(r.precision[1]));
      setText(tiles.recall, fmt(r.recall[1]));
      setText(tiles.f1, fmt(r.f1[1]));
      setText(tiles.accuracy, fmt(divide(tp[1] + tn[1], total)));
      return;
    }
    var wrong = 0;  // multilabel: the Hamming score, the share of label decisions right
    for (var j = 0; j < classes.length; j++) wrong += fp[j] + fn[j];
    setText(tiles.accuracy, fmt(1 - divide(wrong, total * classes.length)));
    setText(tiles.macro_precision, fmt(mean(r.precision)));
    setText(tiles.macro_recall, fmt(mean(r.recall)));
    setText(tiles.macro_f1, fmt(mean(r.f1)));
  }

  // Each live view, with what it follows: the threshold signal, the points and counts data.
  function updateOne(entry, at) {
    var view = entry.view, changed = false;
    try {
      if (entry.threshold) { view.signal("threshold", T[at]); changed = true; }
      if (entry.points) { replaceData(view, "points", points(at)); changed = true; }
      if (entry.counts) { replaceData(view, "counts", counts(at)); changed = true; }
      if (changed) view.runAsync();
    } catch (err) { reportError(err); }
  }
  function updateCharts(at) { views.forEach(function (entry) { updateOne(entry, at); }); }
  function hasSignal(view, name) { try { view.signal(name); return true; } catch (e) { return false; } }
  function hasData(view, name) { try { view.data(name); return true; } catch (e) { return false; } }
  // The view's own changeset: the bundle's global `vega` is not the library (only vegaEmbed is exported).
  function replaceData(view, name, values) {
    view.change(name, view.changeset().remove(function () { return true; }).insert(copyRows(values)));
  }
  var reported = false;
  function reportError(err) {  // once: a chart that cannot follow keeps its last state
    if (!reported && window.console) { reported = true; console.error("reportgen chart update failed:", err); }
  }

  function currentAt() { return nearest(parseFloat(slider ? slider.value : report.threshold)); }
  var pending = false;
  function update() {
    pending = false;
    var at = currentAt();
    setText(output, T[at].toFixed(2));
    updateTable(at);
    updateTiles(at);
    updateSlices(at);
    updateCharts(at);
  }
  if (slider) {
    slider.addEventListener("input", function () {
      if (!pending) { pending = true; window.requestAnimationFrame(update); }
    });
  }
  function setThreshold(value) {
    if (!slider) return;
    slider.value = value;
    slider.dispatchEvent(new Event("input", { bubbles: true }));
    slider.focus();
  }
  document.querySelectorAll("[data-set-threshold]").forEach(function (button) {
    if (body && body.contains(button)) return;  // the table's own listener handles its rows
    button.addEventListener("click", function () { setThreshold(button.getAttribute("data-set-threshold")); });
  });

  // ---------------------------------------------------------------- picking a class
  // The picker (#highlight, an input with the class names as suggestions), a click on a row's
  // name, or a click on a chart mark of that class. Past MANY classes the picked class's curves,
  // point and threshold lines are built from the report data when it is picked.
  var highlight = document.getElementById("highlight");
  var names = document.getElementById("class-names");
  if (names) {
    var fragment = document.createDocumentFragment();
    classes.forEach(function (name) { var o = document.createElement("option"); o.value = name; fragment.appendChild(o); });
    names.appendChild(fragment);
  }
  function pick(name) {
    if (classes.indexOf(name) < 0) return;
    if (highlight) highlight.value = picked === name ? "" : name;
    setPicked(picked === name ? "" : name);
  }
  function setPicked(name) {
    if (name === picked) return;
    picked = name;
    visible.forEach(function (row) { row.tr.classList.toggle("highlighted", classes[row.j] === name); });
    var at = currentAt();
    views.forEach(function (entry) {
      try {
        if (MANY) {
          if (entry.key === "roc") replaceData(entry.view, "roc_curves", curves("roc", "fpr", "tpr", "AUC"));
          if (entry.key === "pr") replaceData(entry.view, "pr_curves", curves("pr", "recall", "precision", "AP"));
          if (entry.key === "threshold") replaceData(entry.view, "threshold_rows", thresholdRows());
          if (entry.points) replaceData(entry.view, "points", points(at));
        }
        if (entry.highlight) entry.view.signal("highlight", name);
        entry.view.runAsync();
      } catch (err) { reportError(err); }
    });
  }
  if (highlight) {
    var choose = function () {
      var value = highlight.value;
      if (value === "" || classes.indexOf(value) >= 0) setPicked(value);
    };
    highlight.addEventListener("change", choose);
    highlight.addEventListener("input", choose);
  }

  // ---------------------------------------------------------------- selection details
  var live = document.getElementById("selection-live");
  var inShown = Object.create(null);  // a class named "__proto__" is a key like any other
  (matrix.index || []).forEach(function (i) { inShown[classes[i]] = true; });
  // A matrix cell's examples: one cell, or every embedded cell behind an "other" row or column.
  function showCell(datum) {
    var cells = (report.selection || {}).cells || [];
    function matches(name, label, other) { return other ? !inShown[name] : name === label; }
    var found = cells.filter(function (c) {
      return matches(c.actual, datum.actual, datum.actual_other) && matches(c.predicted, datum.predicted, datum.predicted_other);
    });
    var examples = [];
    found.forEach(function (c) {
      c.examples.forEach(function (e) { examples.push({ e: e, actual: c.actual, predicted: c.predicted }); });
    });
    var grouped = datum.actual_other || datum.predicted_other;
    if (grouped && kind !== "labels") examples.sort(function (a, b) { return b.e.p_predicted - a.e.p_predicted; });
    var count = grouped || !found.length ? datum.count : found[0].count;
    live.textContent = "";
    var heading = document.createElement("h3");
    heading.textContent = task === "multilabel" ? "label " + datum.actual + ", with " + datum.predicted + " predicted"
      : "actual " + datum.actual + " \u2192 predicted " + datum.predicted;  // multilabel: labels that co-occur
    live.appendChild(heading);
    var note = document.createElement("p");
    if (!examples.length) {
      note.textContent = count ? count + " examples; none of them is embedded in this page." : "No examples in this cell.";
      live.appendChild(note);
      return;
    }
    var order = kind === "labels" ? "in id order" : "sorted by p(predicted), highest first";  // no confidence without scores
    note.textContent = count + " examples" + (examples.length < count ? ", " + examples.length + " shown (" + order + ")" : ", " + order);
    live.appendChild(note);
    var wrap = document.createElement("div");
    wrap.className = "table-scroll";
    var t = document.createElement("table");
    t.className = "summary";
    var head = t.createTHead().insertRow();
    var withInputs = examples.some(function (item) { return item.e.text || item.e.image || item.e.overlay; });
    var headings = (grouped ? ["id", "actual", "predicted"] : ["id"])
      .concat(kind === "labels" ? [] : ["p(actual)", "p(predicted) \u2193"], withInputs ? ["input"] : []);
    headings.forEach(function (h) {
      var th = document.createElement("th"); th.scope = "col"; th.textContent = h; head.appendChild(th);
    });
    var tbody = t.createTBody();
    examples.forEach(function (item) {
      var e = item.e, tr = tbody.insertRow();
      tr.insertCell().textContent = e.id;
      if (grouped) { tr.insertCell().textContent = item.actual; tr.insertCell().textContent = item.predicted; }
      if (kind !== "labels") {
        var a = tr.insertCell(); a.className = "num"; a.textContent = formatScore(e.p_actual);
        var b = tr.insertCell(); b.className = "num"; b.textContent = formatScore(e.p_predicted);
      }
      if (!withInputs) return;
      var input = tr.insertCell();
      [e.image, e.overlay].forEach(function (src, i) {
        if (typeof src === "string" && src.indexOf("data:image/") === 0) {
          var img = document.createElement("img");
          img.src = src; img.width = 48; img.height = 48; img.className = "thumb";
          img.alt = (i ? "overlay " : "input ") + e.id;
          input.appendChild(img);
        }
      });
      if (e.text) { var span = document.createElement("span"); span.className = "text"; span.textContent = e.text; input.appendChild(span); }
    });
    wrap.appendChild(t);
    live.appendChild(wrap);
    live.scrollIntoView({ block: "nearest" });
  }

  var page = { views: views, datasets: datasets, nearest: nearest, report: report, showCell: showCell,
               ratios: ratios, ready: Promise.resolve(0) };
  Object.assign(window.reportgenPage, page);

  // ---------------------------------------------------------------- live charts
  if (typeof vegaEmbed !== "function") return page;
  // Dark mode: the live charts take the page's colours (the static fallbacks keep a white card).
  var DARK = !!(window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches);
  var INK = "#c9d1d9", FAINT = "#30363d";
  var DARK_CONFIG = {
    background: "transparent", view: { stroke: FAINT },
    axis: { domainColor: "#8b949e", tickColor: "#8b949e", gridColor: FAINT, labelColor: INK, titleColor: INK },
    legend: { labelColor: INK, titleColor: INK }, title: { color: INK }
  };
  var DARK_COLOURS = { "#000000": "#e6edf3", "#57606a": "#adbac7", "#6e7781": "#8b949e", "#8c959f": "#768390",
                       "#ffffff": "#0d1117" };
  var COLOUR_KEYS = { color: 1, stroke: 1, fill: 1, range: 1, value: 1 };
  function recolour(node, key) {  // only colour-valued properties: class names elsewhere stay untouched
    if (typeof node === "string") {
      return COLOUR_KEYS[key] && DARK_COLOURS.hasOwnProperty(node) ? DARK_COLOURS[node] : node;
    }
    if (Array.isArray(node)) return node.map(function (item) { return recolour(item, key); });
    if (node && typeof node === "object") {
      var out = {};
      Object.keys(node).forEach(function (k) { out[k] = k === "datasets" ? node[k] : recolour(node[k], k); });
      return out;
    }
    return node;
  }

  // Each chart gets its own copy of the rows it reads: Vega writes calculated fields into them.
  function copyRows(rows) { return rows.map(function (row) { return Object.assign({}, row); }); }
  function ownDatasets(specText, data) {
    var own = {};
    Object.keys(data).forEach(function (name) {
      if (specText.indexOf('"name":' + JSON.stringify(name)) >= 0) own[name] = copyRows(data[name]);
    });
    return own;
  }

  var at0 = currentAt();
  var data = datasets(at0);
  var pendingViews = [];
  document.querySelectorAll(".vega-embed[data-chart]").forEach(function (el) {
    var key = el.getAttribute("data-chart");
    var specText = document.getElementById("spec-" + key).textContent;
    var spec = JSON.parse(specText);
    spec.datasets = Object.assign(spec.datasets || {}, ownDatasets(specText, data));  // a spec may bring its own
    (spec.params || []).forEach(function (p) { if (p.name === "threshold") p.value = T[at0]; });
    var fallback = Array.prototype.slice.call(el.childNodes);
    var title = el.getAttribute("aria-label");  // vega-embed names its container "Vega visualization"
    // ast: expressions run in Vega's interpreter, not compiled with eval (the page's CSP allows none)
    var options = { actions: false, renderer: "svg", tooltip: true, ast: true };
    if (DARK) { spec = recolour(spec); options.config = DARK_CONFIG; options.tooltip = { theme: "dark" }; }
    pendingViews.push(vegaEmbed(el, spec, options).then(function (result) {
      var view = result.view;
      var entry = { key: key, view: view, threshold: hasSignal(view, "threshold"), highlight: hasSignal(view, "highlight"),
                    points: hasData(view, "points"), counts: !fixedCounts && hasData(view, "counts") };
      views.push(entry);
      el.classList.add("live");
      if (el.hasAttribute("tabindex")) {  // a wide matrix scrolls: a region named by its chart's title
        el.setAttribute("role", "region"); el.setAttribute("aria-label", title);
      }
      else { el.removeAttribute("role"); el.removeAttribute("aria-label"); }
      view.addEventListener("click", function (event, item) {
        var datum = item && item.datum;
        if (!datum) return;
        if (key === "confusion" && datum.actual !== undefined) showCell(datum);
        else if (typeof datum["class"] === "string") pick(datum["class"]);
      });
      // The reader may have moved the slider or picked a class while the charts were loading.
      if (picked) {
        if (MANY && (key === "roc" || key === "pr" || key === "threshold")) {
          var name = { roc: "roc_curves", pr: "pr_curves", threshold: "threshold_rows" }[key];
          replaceData(view, name, datasets(currentAt())[name]);
        }
        if (entry.highlight) view.signal("highlight", picked);
      }
      var at = currentAt();
      if (at !== at0 || (picked && entry.points)) updateOne(entry, at);
      return view.runAsync();
    }).catch(function (err) {
      reportError(err);
      el.textContent = "";
      fallback.forEach(function (node) { el.appendChild(node); });
    }));
  });
  // For scripts and tests: a promise settled once every chart is live.
  page.ready = Promise.all(pendingViews).then(function () { return views.length; });
  window.reportgenPage.ready = page.ready;
  return page;
  }
})();

// ---------------------------------------------------------------- costs
// The cost table (#costs) recomputes, from the threshold grid, the expected cost per example at
// every threshold, the least-cost threshold (the lowest of ties) and the cost at the slider's
// threshold, as reportgen/decisions.py (expected_costs) does; multiclass: the argmax decisions'
// cost from the confusion matrix. The expected-cost chart takes the new curve.
(function () {
  "use strict";
  var section = document.getElementById("costs");
  if (!section || !window.reportgenPage) return;
  function run() {
    var page = window.reportgenPage, report = page.report;
    if (!report || !report.costs) return;
    var task = report.task, grid = report.threshold_grid;
    var n = report.weight_total !== null && report.weight_total !== undefined ? report.weight_total : report.n_examples;
    var inputs = Array.prototype.slice.call(section.querySelectorAll("input[type=number]"));
    var slider = document.getElementById("threshold");
    var best = section.querySelector("[data-cost-best-value]"), bestAt = section.querySelector("[data-cost-best-threshold]");
    var at = section.querySelector("[data-cost-at]"), where = section.querySelector("[data-cost-where]");
    var shownAt = section.querySelector("[data-cost-threshold]");
    function format(x) { return x === null ? "—" : Number(x.toPrecision(4)).toString(); }
    function values() {  // every cost, or null when one is not a number
      var out = inputs.map(function (input) { var v = parseFloat(input.value); return isFinite(v) ? v : null; });
      return out.indexOf(null) >= 0 ? null : out;
    }
    function curve(costs) {  // (thresholds,): expected cost per example at each grid threshold
      var T = grid.thresholds, out = T.map(function () { return 0; });
      inputs.forEach(function (input, j) {
        var name = task === "binary" ? report.positive_class : input.getAttribute("data-cost-class");
        var counts = grid.classes[name][input.getAttribute("data-cost-cell")];
        for (var i = 0; i < T.length; i++) out[i] += costs[j] * counts[i] / n;
      });
      return out;
    }
    function matrixCost(costs) {  // multiclass: the argmax decisions' expected cost
      var counts = report.confusion_matrix.counts, names = report.classes, total = 0;
      inputs.forEach(function (input, j) {
        var a = names.indexOf(input.getAttribute("data-cost-actual"));
        var p = names.indexOf(input.getAttribute("data-cost-predicted"));
        total += costs[j] * counts[a][p];
      });
      return total / n;
    }
    function chart() {
      var views = page.views || [];
      for (var i = 0; i < views.length; i++) if (views[i].key === "expected-cost") return views[i].view;
      return null;
    }
    var built = section.querySelectorAll("[data-cost-built]");  // true only of the costs the report was built with
    function recompute() {
      var costs = values();
      var same = inputs.every(function (input) { return parseFloat(input.value) === parseFloat(input.defaultValue); });
      for (var b = 0; b < built.length; b++) built[b].hidden = !same;
      if (task === "multiclass") {
        if (at) at.textContent = costs ? format(matrixCost(costs)) : "—";
        return;
      }
      if (!grid || !report.costs.curve) return;
      var T = grid.thresholds, k = slider ? page.nearest(parseFloat(slider.value)) : T.indexOf(report.threshold);
      var cost = costs ? curve(costs) : null, low = 0;
      if (cost) for (var i = 1; i < cost.length; i++) if (cost[i] < cost[low]) low = i;
      if (best) best.textContent = cost ? format(cost[low]) : "—";
      if (bestAt) bestAt.textContent = cost ? T[low].toFixed(2) : "—";
      if (report.costs.at_threshold.threshold === null) at = null;  // the model's own labels decide
      if (at) at.textContent = cost ? format(cost[k]) : "—";
      if (shownAt) shownAt.textContent = T[k].toFixed(2);
      if (where) where.textContent = T[k] === report.threshold ? "report's threshold" : "current threshold";
      var view = chart();
      if (view && cost) {
        var rows = T.map(function (t, i) { return { t: t, cost: cost[i] }; });
        var marked = [{ t: T[low], cost: cost[low], what: "least cost" }];
        view.change("cost_rows", view.changeset().remove(function () { return true; }).insert(rows));
        view.change("cost_best", view.changeset().remove(function () { return true; }).insert(marked));
        view.runAsync();
      }
    }
    inputs.forEach(function (input) { input.addEventListener("input", recompute); });
    if (slider && task !== "multiclass") slider.addEventListener("input", function () { window.requestAnimationFrame(recompute); });
  }
  window.reportgenPage.ready.then(run, run);
})();

// ---------------------------------------------------------------- fairness
// The fairness section (#fairness) recounts every group's rates from its threshold grid when the
// slider moves (as reportgen/analysis/fairness.py's `rates` does: undefined where nothing to
// divide by), the disparities over the groups of at least the minimum size (`disparities`), the
// chart's rows, and the per-group thresholds that would equalise the chosen rate (`equalize`).
// Intervals are the report threshold's: hidden at any other threshold.
(function () {
  "use strict";
  var section = document.getElementById("fairness");
  if (!section || !window.reportgenPage) return;
  var RATE_TITLES = { selection_rate: "Selection rate", tpr: "True-positive rate", fpr: "False-positive rate",
                      precision: "Precision" };
  function ratio(num, den) { return den > 0 ? num / den : null; }
  function rates(c) {  // c: [tp, fp, fn, tn]
    var tp = c[0], fp = c[1], fn = c[2], tn = c[3], n = tp + fp + fn + tn;
    return { base_rate: ratio(tp + fn, n), selection_rate: ratio(tp + fp, n), tpr: ratio(tp, tp + fn),
             fpr: ratio(fp, fp + tn), fnr: ratio(fn, tp + fn), precision: ratio(tp, tp + fp), accuracy: ratio(tp + tn, n) };
  }
  function spread(values) {  // [largest, smallest] of the defined values; null with fewer than two
    var defined = values.filter(function (v) { return v !== null && isFinite(v); });
    if (defined.length < 2) return null;
    return [Math.max.apply(null, defined), Math.min.apply(null, defined)];
  }
  function gap(values) { var s = spread(values); return s ? s[0] - s[1] : null; }
  function disparities(byRate) {
    var sel = spread(byRate.selection_rate), tpr = gap(byRate.tpr), fpr = gap(byRate.fpr);
    return { demographic_parity_difference: sel ? sel[0] - sel[1] : null,
             demographic_parity_ratio: sel ? ratio(sel[1], sel[0]) : null,
             equalized_odds_difference: tpr === null || fpr === null ? null : Math.max(tpr, fpr),
             equal_opportunity_difference: tpr, predictive_parity_difference: gap(byRate.precision),
             auc_gap: gap(byRate.roc_auc) };
  }
  function fmt(x) { return x === null || x === undefined || !isFinite(x) ? "\u2014" : x.toFixed(3).replace("-", "\u2212"); }
  function set(el, text) { if (el && el.textContent !== text) el.textContent = text; }
  function cellsAt(g, at) { return ["tp", "fp", "fn", "tn"].map(function (k) { return g.grid[k][at]; }); }

  function run() {
    var page = window.reportgenPage, report = page.report, f = report && report.fairness;
    if (!f || !report.threshold_grid || f.decisions !== "threshold") return;
    var name = f["class"] !== null ? f["class"] : Object.keys(f.per_class)[0];
    var part = f["class"] !== null ? f : f.per_class[name];
    var T = report.threshold_grid.thresholds, slider = document.getElementById("threshold");
    var overallGrid = report.threshold_grid.classes[name];
    var rows = Array.prototype.slice.call(section.querySelectorAll("tr[data-group-index]"));
    var overallRow = section.querySelector('tr[data-group="(all)"]');
    var chooser = document.getElementById("fairness-equalize"), across = document.getElementById("fairness-equalize-by");
    var result = document.getElementById("fairness-equalize-result");
    function label(g) { return g.by.map(function (b, i) { return b + "=" + g.value[i]; }).join(" \u00b7 "); }
    function groupRates(at, home) {  // every group's rates at grid index `at` (the report's own at `home`)
      return part.groups.map(function (g) {
        if (at === home || !g.grid) return g;
        var r = rates(cellsAt(g, at)); r.roc_auc = g.roc_auc; return r;
      });
    }
    function overallAt(at) {
      var r = rates(["tp", "fp", "fn", "tn"].map(function (k) { return overallGrid[k][at]; }));
      r.roc_auc = part.overall.roc_auc; return r;
    }
    function equalize(entry, rate, at) {  // per-group grid thresholds nearest the overall rate (ties: nearest `at`)
      var groups = part.groups.filter(function (g) { return !g.small && g.value && entry.by.join() === g.by.join(); });
      var target = overallAt(at)[rate];
      if (target === null || groups.length < 2 || groups.some(function (g) { return !g.grid; })) return null;
      var before = 0, after = 0, total = 0, picked = [];
      groups.forEach(function (g) {
        var best = -1, bestDistance = Infinity;
        for (var i = 0; i < T.length; i++) {
          var v = rates(cellsAt(g, i))[rate];
          if (v === null) continue;
          var distance = Math.abs(v - target) + 1e-12 * Math.abs(T[i] - T[at]);
          if (distance < bestDistance) { bestDistance = distance; best = i; }
        }
        var now = cellsAt(g, at), then = best >= 0 ? cellsAt(g, best) : now;
        total += now[0] + now[1] + now[2] + now[3];
        before += now[0] + now[3]; after += then[0] + then[3];
        picked.push({ label: g.value.join(" \u00b7 "), threshold: best >= 0 ? T[best] : null,
                      rate: best >= 0 ? rates(then)[rate] : null });
      });
      return { target: target, groups: picked, before: ratio(before, total), after: ratio(after, total) };
    }
    function describe(at) {
      if (!result || !chooser) return;
      var entry = part.disparities[across ? +across.value : 0];
      var rate = chooser.value, e = equalize(entry, rate, at);
      var words = chooser.options[chooser.selectedIndex].text.replace(/ \(.*\)$/, "");
      if (!e) { set(result, "Not available: the rate is undefined over all examples."); return; }
      set(result, "To bring every compared group of " + entry.by.join(" \u00d7 ") + " to the " + words +
          " over all examples (" + fmt(e.target) + "), the thresholds would be " +
          e.groups.map(function (g) { return g.label + ": " + (g.threshold === null ? "\u2014" : g.threshold.toFixed(2)) +
                                      " (reaching " + fmt(g.rate) + ")"; }).join(", ") +
          "; the accuracy of these groups' decisions would go from " + fmt(e.before) + " to " + fmt(e.after) + ".");
    }
    function chart() {
      var views = page.views || [];
      for (var i = 0; i < views.length; i++) if (views[i].key === "fairness") return views[i].view;
      return null;
    }
    function update() {
      var home = T.indexOf(report.threshold);
      var at = slider ? page.nearest(parseFloat(slider.value)) : home, same = at === home;
      var found = groupRates(at, home), overall = same ? part.overall : overallAt(at);
      section.querySelectorAll("[data-fairness-threshold]").forEach(function (el) { set(el, T[at].toFixed(2)); });
      rows.forEach(function (row) {
        var i = +row.getAttribute("data-group-index"), r = found[i];
        row.querySelectorAll("td[data-rate]").forEach(function (td) {
          set(td.querySelector("[data-value]"), fmt(r[td.getAttribute("data-rate")]));
          var interval = td.querySelector("[data-interval]");
          if (interval) interval.hidden = !same;
        });
      });
      if (overallRow) overallRow.querySelectorAll("td[data-rate]").forEach(function (td) {
        set(td.querySelector("[data-value]"), fmt(overall[td.getAttribute("data-rate")]));
      });
      section.querySelectorAll("tr[data-disparity-by]").forEach(function (row, k) {
        if (f["class"] === null && row.getAttribute("data-disparity-class") !== name) return;  // other classes: no grids here
        var entry = part.disparities[f["class"] === null ? k % part.disparities.length : k];
        var byRate = {};
        Object.keys(part.overall).forEach(function (rate) {
          byRate[rate] = [];
          part.groups.forEach(function (g, i) { if (!g.small && g.by.join() === entry.by.join()) byRate[rate].push(found[i][rate]); });
        });
        var d = same ? null : disparities(byRate);
        row.querySelectorAll("td[data-disparity]").forEach(function (td) {
          var key = td.getAttribute("data-disparity");
          set(td.querySelector("[data-value]"), fmt(same ? entry[key].value : d[key]));
          td.querySelector("[data-interval]").hidden = !same;
        });
      });
      var view = chart();
      if (view) {
        var chartRows = [];
        Object.keys(RATE_TITLES).forEach(function (rate) {
          part.groups.forEach(function (g, i) {
            var v = found[i][rate];
            if (v === null || v === undefined) return;
            var interval = same && g.intervals ? g.intervals[rate] : null;
            chartRows.push({ rate: RATE_TITLES[rate], group: label(g), value: v, low: interval ? interval[0] : null,
                             high: interval ? interval[1] : null, overall: overall[rate], small: g.small });
          });
        });
        view.change("fairness_rows", view.changeset().remove(function () { return true; }).insert(chartRows));
        view.runAsync();
      }
      describe(at);
    }
    if (slider) slider.addEventListener("input", function () { window.requestAnimationFrame(update); });
    if (chooser) chooser.addEventListener("change", update);
    if (across) across.addEventListener("change", update);
    if (slider && T.indexOf(report.threshold) !== page.nearest(parseFloat(slider.value))) update();
  }
  window.reportgenPage.ready.then(run, run);
})();
