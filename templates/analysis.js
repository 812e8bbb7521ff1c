// Analysis sections: slice counts follow the threshold slider (tables sort via report.js).
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

})();
