// The analytics pages' charts: each .chart element names a JSON block holding its data, drawn
// with uPlot (bars for categories, lines over time). Nothing is loaded from elsewhere.
(function () {
  "use strict";
  var COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#d97706"];

  function bars(spec, width) {
    var n = spec.series.length;
    var xs = spec.labels.map(function (_, i) { return i; });
    return {
      opts: {
        width: width, height: 260,
        scales: { x: { time: false, range: [-0.5, Math.max(xs.length - 0.5, 0.5)] } },
        axes: [
          { values: function (_, ticks) { return ticks.map(function (t) { return spec.labels[t] || ""; }); },
            splits: function () { return xs; }, rotate: 0, size: 40 },
          {}
        ],
        series: [{}].concat(spec.series.map(function (s, i) {
          return {
            label: s.label, stroke: COLOURS[i % 4], fill: COLOURS[i % 4] + "cc", width: 0,
            // Two series stand side by side: the first left of its tick, the second right of it.
            paths: uPlot.paths.bars({ size: [n > 1 ? 0.4 : 0.6, 60], align: n > 1 ? (i === 0 ? -1 : 1) : 0 })
          };
        }))
      },
      data: [xs].concat(spec.series.map(function (s) { return s.values; }))
    };
  }

  function lines(spec, width) {
    return {
      opts: {
        width: width, height: 260,
        series: [{}].concat(spec.series.map(function (s, i) {
          return { label: s.label, stroke: COLOURS[i % 4], width: 2 };
        }))
      },
      data: [spec.labels.map(function (t) { return Date.parse(t) / 1000; })]
        .concat(spec.series.map(function (s) { return s.values; }))
    };
  }

  function draw() {
    if (!window.uPlot) { return; }
    document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
      var block = document.getElementById(el.dataset.chart);
      if (!block) { return; }
      var spec = JSON.parse(block.textContent);
      var width = Math.max(el.clientWidth, 300);
      var built = spec.kind === "line" ? lines(spec, width) : bars(spec, width);
      new uPlot(built.opts, built.data, el);
      el.dataset.rendered = "true";
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
