// Analysis sections: slice counts follow the threshold slider; the slice table sorts.
(function () {
  "use strict";
  var island = document.getElementById("report-data");
  if (!island) return;
  var report = JSON.parse(island.textContent);
  var slices = report.slices || [];
  var thresholds = report.threshold_grid.thresholds;
  var slider = document.getElementById("threshold");

  function nearest(value) {
    var best = 0;
    for (var i = 1; i < thresholds.length; i++) {
      if (Math.abs(thresholds[i] - value) < Math.abs(thresholds[best] - value)) best = i;
    }
    return best;
  }

  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-slice-index]"));
  var pending = false;
  function update() {
    pending = false;
    var at = nearest(parseFloat(slider.value));
    rows.forEach(function (row) {
      var s = slices[+row.getAttribute("data-slice-index")];
      if (!s || !s.grid) return;
      ["tp", "fp", "fn"].forEach(function (key) {
        var cell = row.querySelector('td[data-slice-metric="' + key + '"]');
        var text = String(s.grid[key][at]);
        if (cell && cell.textContent !== text) { cell.textContent = text; cell.setAttribute("data-value", text); }
      });
    });
  }
  if (slider && rows.length) {
    slider.addEventListener("input", function () {
      if (!pending) { pending = true; window.requestAnimationFrame(update); }
    });
  }

  var table = document.getElementById("slice-table");
  if (!table) return;
  var headers = Array.prototype.slice.call(table.querySelectorAll("thead th"));
  headers.forEach(function (th, column) {
    var button = th.querySelector("button");
    if (!button) return;
    button.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      headers.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var numeric = button.getAttribute("data-sort") === "num";
      var body = table.tBodies[0];
      var sorted = Array.prototype.slice.call(body.rows).sort(function (a, b) {
        var x = a.cells[column], y = b.cells[column];
        var u = numeric ? parseFloat(x.getAttribute("data-value")) : x.textContent;
        var v = numeric ? parseFloat(y.getAttribute("data-value")) : y.textContent;
        if (numeric) { u = isNaN(u) ? Infinity : u; v = isNaN(v) ? Infinity : v; }
        var order = u < v ? -1 : u > v ? 1 : 0;
        return ascending ? order : -order;
      });
      sorted.forEach(function (row) { body.appendChild(row); });
    });
  });
})();
