// The report page's script: everything comes from the embedded report data.
// The threshold slider recounts every threshold-dependent number from the grid; the
// charts are embedded live (replacing their static SVG) and follow the slider too.
(function () {
  "use strict";
  var report = JSON.parse(document.getElementById("report-data").textContent);
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

  function nearest(value) {
    var lo = 0, hi = T.length - 1;
    while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (T[mid] <= value) lo = mid; else hi = mid; }
    return Math.abs(T[hi] - value) < Math.abs(T[lo] - value) ? hi : lo;
  }
  function ratio(a, b) { return b > 0 ? a / b : 0; }
  function fmt(x) { return x === null || x === undefined ? "\u2014" : x.toFixed(3); }
  function setText(el, text) { if (el && el.textContent !== text) el.textContent = text; }

  // ---------------------------------------------------------------- datasets
  // (mirrors reportgen/report/charts.py: datasets)
  function shown() { return task === "binary" ? [1] : classes.map(function (_, j) { return j; }); }

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

  function curves(kind, x, y, short) {
    var model = curvesOfModel(kind, x, y, short);
    var rows = model.concat(baselineCurves(model, kind, x, y));
    if (!rows.some(function (r) { return r.macro || !MANY; })) {
      // A colour legend with nothing in it makes Vega's layout infinitely tall: one entry says why
      // (a single point draws no line).
      var none = { "class": "", label: "no curve to draw", order: classes.length + 1, model: "model", key: "none",
                   macro: true };
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
                  precision: tp + fp ? tp / (tp + fp) : 1 });
    });
    return rows;
  }

  // multiclass predictions (argmax) and predicted labels do not depend on the threshold: summed once
  var predictedArgmax = null;
  if (fixedCounts) {
    predictedArgmax = classes.map(function () { return 0; });
    var cmSparse = report.confusion_matrix.sparse;
    if (cmSparse) cmSparse.predicted.forEach(function (j, c) { predictedArgmax[j] += cmSparse.count[c]; });
    else report.confusion_matrix.counts.forEach(function (row) { row.forEach(function (n, j) { predictedArgmax[j] += n; }); });
  }

  // a matrix as drawn: every class, or past the matrix limit the shown ones and "other"
  function displayed(matrix, key) {
    if (!matrix.shown) return { names: matrix.classes, rows: matrix[key] };
    var names = matrix.shown.index.map(function (i) { return matrix.classes[i]; });
    var other = matrix.classes.length - names.length;
    names.push("other (" + other.toLocaleString("en-US") + " classes)");
    return { names: names, rows: matrix.shown[key] };
  }

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
      return Object.keys(advice || {}).filter(function (k) { return advice[k] && ADVICE[k]; }).map(function (k) {
        var v = advice[k];
        return { "class": cls, scope: scope, what: k === "max_f1" ? ADVICE[k] : ADVICE[k] + v.target, threshold: v.threshold };
      });
    }
    var rows = marks(report.advice_overall, "", "all classes");
    if (task !== "binary") {
      Object.keys(report.advice || {}).forEach(function (name) { rows = rows.concat(marks(report.advice[name], name, name)); });
    }
    return rows;
  }

  function datasets(at) {
    var cm = displayed(report.confusion_matrix, "counts"), shares = displayed(report.confusion_matrix, "normalized").rows;
    var confusion = [], probability = [];
    cm.rows.forEach(function (row, i) {
      row.forEach(function (count, j) {
        confusion.push({ actual: cm.names[i], predicted: cm.names[j], count: count, share: shares[i][j] });
      });
    });
    if (!grid) return { confusion: confusion, counts: counts(at) };  // label-only: the decision charts only
    var pm = displayed(report.probability_matrix, "mean_score");
    pm.rows.forEach(function (row, i) {
      row.forEach(function (value, j) {
        if (value !== null) probability.push({ actual: pm.names[i], "class": pm.names[j], mean: value });
      });
    });
    return {
      roc_curves: curves("roc", "fpr", "tpr", "AUC"),
      pr_curves: curves("pr", "recall", "precision", "AP"),
      points: points(at),
      grid_rows: shown().map(function (j) {
        var g = grid.classes[classes[j]];
        return { "class": classes[j], t: T, tp: g.tp, fp: g.fp, fn: g.fn };
      }),
      advice_marks: adviceMarks(),
      confusion: confusion,
      probability: probability,
      counts: counts(at),
      calibration: report.calibration.bins
    };
  }

  // ---------------------------------------------------------------- the table and tiles
  var rows = classes.map(function (name) {
    var tr = document.querySelector('tr[data-class="' + CSS.escape(name) + '"]');
    var cells = {};
    if (tr) {
      tr.querySelectorAll("td[data-metric]").forEach(function (td) { cells[td.getAttribute("data-metric")] = td; });
    }
    return { name: name, tr: tr, cells: cells };
  });
  var macroCells = {};
  document.querySelectorAll("td[data-macro]").forEach(function (td) { macroCells[td.getAttribute("data-macro")] = td; });
  var tiles = {};
  document.querySelectorAll("[data-tile-value]").forEach(function (el) { tiles[el.getAttribute("data-tile-value")] = el; });

  // A cell's live value is kept on the element (sorting reads it), its text only changes when it must.
  function setCell(td, value, text) {
    if (!td) return;
    td.liveValue = value;
    var node = td.firstChild;
    if (node && node.nodeType === 3 && !node.nextSibling) { if (node.data !== text) node.data = text; }
    else if (td.textContent !== text) td.textContent = text;
  }
  function setCount(td, value) { setCell(td, value, String(value)); }
  function setRatio(td, value) { setCell(td, value, fmt(value)); }

  // The analysis section's slice rows: their TP, FP and FN follow the slider too.
  var slices = report.slices || [];
  var sliceRows = Array.prototype.slice.call(document.querySelectorAll("tr[data-slice-index]"));
  function updateSlices(at) {
    sliceRows.forEach(function (row) {
      var s = slices[+row.getAttribute("data-slice-index")];
      if (!s || !s.grid) return;
      ["tp", "fp", "fn"].forEach(function (key) {
        var cell = row.querySelector('td[data-slice-metric="' + key + '"]');
        var text = String(s.grid[key][at]);
        if (cell && cell.textContent !== text) { cell.textContent = text; cell.setAttribute("data-value", text); }
      });
    });
  }

  function updateTable(at) {
    var sums = { tp: 0, fp: 0, fn: 0, total_labeled: 0, total_predicted: 0 }, means = { precision: 0, recall: 0, f1: 0 };
    rows.forEach(function (row) {
      var g = grid.classes[row.name];
      var tp = g.tp[at], fp = g.fp[at], fn = g.fn[at];
      var values = { tp: tp, fp: fp, fn: fn, total_labeled: tp + fn, total_predicted: tp + fp };
      var ratios = { precision: ratio(tp, tp + fp), recall: ratio(tp, tp + fn), f1: ratio(2 * tp, 2 * tp + fp + fn) };
      Object.keys(values).forEach(function (k) { sums[k] += values[k]; setCount(row.cells[k], values[k]); });
      Object.keys(ratios).forEach(function (k) { means[k] += ratios[k] / classes.length; setRatio(row.cells[k], ratios[k]); });
    });
    Object.keys(sums).forEach(function (k) { setCount(macroCells[k], sums[k]); });
    Object.keys(means).forEach(function (k) { setRatio(macroCells[k], means[k]); });
  }

  function updateTiles(at) {
    if (task === "multiclass" || kind !== "scores") return;  // decided by argmax or by the predicted labels
    var n = report.n_examples, k = classes.length, per = [];
    if (task === "binary") {
      var g = grid.classes[classes[1]];
      var tp = g.tp[at], fp = g.fp[at], fn = g.fn[at], tn = g.tn[at];
      per = [[tn, fn, fp], [tp, fp, fn]];  // the negative class: its tp, fp, fn are the positive's tn, fn, fp
      setText(tiles.accuracy, fmt((tp + tn) / n));
    } else {
      var wrong = 0;
      classes.forEach(function (name) {
        var c = grid.classes[name];
        wrong += c.fp[at] + c.fn[at];
        per.push([c.tp[at], c.fp[at], c.fn[at]]);
      });
      setText(tiles.accuracy, fmt(1 - wrong / (n * k)));
    }
    var p = 0, r = 0, f = 0;
    per.forEach(function (c) {
      p += ratio(c[0], c[0] + c[1]) / per.length;
      r += ratio(c[0], c[0] + c[2]) / per.length;
      f += ratio(2 * c[0], 2 * c[0] + c[1] + c[2]) / per.length;
    });
    setText(tiles.macro_precision, fmt(p));
    setText(tiles.macro_recall, fmt(r));
    setText(tiles.macro_f1, fmt(f));
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
    view.change(name, view.changeset().remove(function () { return true; }).insert(values));
  }
  var reported = false;
  function reportError(err) {  // once: a chart that cannot follow keeps its last state
    if (!reported && window.console) { reported = true; console.error("reportgen chart update failed:", err); }
  }

  var pending = false;
  function update() {
    pending = false;
    var at = nearest(parseFloat(slider.value));
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
  document.querySelectorAll("[data-set-threshold]").forEach(function (button) {
    button.addEventListener("click", function () {
      slider.value = button.getAttribute("data-set-threshold");
      slider.dispatchEvent(new Event("input", { bubbles: true }));
      slider.focus();
    });
  });

  // ---------------------------------------------------------------- highlight and sorting
  var highlight = document.getElementById("highlight");
  // Picking a class: the select, a click on a row's name, or a click on a chart mark of that class.
  function pick(name) {
    if (!highlight || classes.indexOf(name) < 0) return;
    highlight.value = highlight.value === name ? "" : name;
    highlight.dispatchEvent(new Event("change", { bubbles: true }));
  }
  document.querySelectorAll("button[data-pick]").forEach(function (button) {
    button.addEventListener("click", function () { pick(button.closest("tr").getAttribute("data-class")); });
  });
  if (highlight) {
    highlight.addEventListener("change", function () {
      var name = highlight.value;
      rows.forEach(function (row) { if (row.tr) row.tr.classList.toggle("highlighted", row.name === name); });
      views.forEach(function (entry) {
        if (entry.highlight) { entry.view.signal("highlight", name); entry.view.runAsync(); }
      });
    });
  }

  function cellValue(td) {
    var value = td.liveValue !== undefined ? td.liveValue : parseFloat(td.getAttribute("data-value"));
    return value === null ? NaN : value;
  }
  function makeSortable(table) {
    var headers = Array.prototype.slice.call(table.querySelectorAll("thead th"));
    headers.forEach(function (th, column) {
      var button = th.querySelector("button");
      if (!button) return;
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach(function (h) { if (h.hasAttribute("aria-sort")) h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var numeric = button.getAttribute("data-sort") === "num";
        var body = table.tBodies[0];
        var sorted = Array.prototype.slice.call(body.rows).sort(function (a, b) {
          var x = a.cells[column], y = b.cells[column];
          var u = numeric ? cellValue(x) : x.textContent;
          var v = numeric ? cellValue(y) : y.textContent;
          if (numeric) { u = isNaN(u) ? -Infinity : u; v = isNaN(v) ? -Infinity : v; }
          var order = u < v ? -1 : u > v ? 1 : 0;
          return ascending ? order : -order;
        });
        sorted.forEach(function (row) { body.appendChild(row); });
      });
    });
  }
  document.querySelectorAll("table.sortable").forEach(makeSortable);

  // ---------------------------------------------------------------- selection details
  var live = document.getElementById("selection-live");
  function showCell(actual, predicted) {
    var cells = (report.selection || {}).cells || [];
    var cell = null;
    cells.forEach(function (c) { if (c.actual === actual && c.predicted === predicted) cell = c; });
    live.textContent = "";
    var heading = document.createElement("h3");
    heading.textContent = "actual " + actual + " \u2192 predicted " + predicted;
    live.appendChild(heading);
    var note = document.createElement("p");
    if (!cell) { note.textContent = "No examples in this cell."; live.appendChild(note); return; }
    var order = kind === "labels" ? "in file order" : "most confident first";  // no confidence without scores
    note.textContent = cell.count + " examples" + (cell.examples.length < cell.count ? ", " + cell.examples.length + " shown (" + order + ")" : ", " + order);
    live.appendChild(note);
    if (!cell.examples.length) return;
    var wrap = document.createElement("div");
    wrap.className = "table-scroll";
    var t = document.createElement("table");
    t.className = "summary";
    var head = t.createTHead().insertRow();
    (kind === "labels" ? ["id", "input"] : ["id", "p(actual)", "p(predicted)", "input"]).forEach(function (h) {
      var th = document.createElement("th"); th.scope = "col"; th.textContent = h; head.appendChild(th);
    });
    var body = t.createTBody();
    cell.examples.forEach(function (e) {
      var tr = body.insertRow();
      tr.insertCell().textContent = e.id;
      if (kind !== "labels") {
        var a = tr.insertCell(); a.className = "num"; a.textContent = fmt(e.p_actual);
        var b = tr.insertCell(); b.className = "num"; b.textContent = fmt(e.p_predicted);
      }
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

  // ---------------------------------------------------------------- live charts
  if (typeof vegaEmbed !== "function") return;
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

  var at0 = nearest(parseFloat(slider ? slider.value : report.threshold));
  var data = datasets(at0);
  var pendingViews = [];
  document.querySelectorAll(".vega-embed[data-chart]").forEach(function (el) {
    var key = el.getAttribute("data-chart");
    var specText = document.getElementById("spec-" + key).textContent;
    var spec = JSON.parse(specText);
    spec.datasets = ownDatasets(specText, data);
    (spec.params || []).forEach(function (p) { if (p.name === "threshold") p.value = T[at0]; });
    var fallback = Array.prototype.slice.call(el.childNodes);
    var options = { actions: false, renderer: "svg", tooltip: true };
    if (DARK) { spec = recolour(spec); options.config = DARK_CONFIG; options.tooltip = { theme: "dark" }; }
    pendingViews.push(vegaEmbed(el, spec, options).then(function (result) {
      var view = result.view;
      var entry = { key: key, view: view, threshold: hasSignal(view, "threshold"), highlight: hasSignal(view, "highlight"),
                    points: hasData(view, "points"), counts: !fixedCounts && hasData(view, "counts") };
      views.push(entry);
      el.classList.add("live");
      el.removeAttribute("role");
      el.removeAttribute("aria-label");
      view.addEventListener("click", function (event, item) {
        var datum = item && item.datum;
        if (!datum) return;
        if (key === "confusion" && datum.actual !== undefined) showCell(datum.actual, datum.predicted);
        else if (typeof datum["class"] === "string") pick(datum["class"]);
      });
      // The reader may have moved the slider or picked a class while the charts were loading.
      if (highlight && highlight.value && entry.highlight) view.signal("highlight", highlight.value);
      var at = nearest(parseFloat(slider ? slider.value : report.threshold));
      if (at !== at0) updateOne(entry, at);
      return view.runAsync();
    }).catch(function (err) {
      reportError(err);
      el.textContent = "";
      fallback.forEach(function (node) { el.appendChild(node); });
    }));
  });
  // For scripts and tests: the live views, and a promise settled once every chart is live.
  window.reportgenPage = { views: views, datasets: datasets, nearest: nearest,
                           ready: Promise.all(pendingViews).then(function () { return views.length; }) };
})();
