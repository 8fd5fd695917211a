// Dashboard charts (Chart.js, vendored under static/vendor/chartjs). Data comes from the page's
// <script type="application/json" id="dashboard-data">, so no inline script is needed (CSP: script-src 'self').
(function () {
  "use strict";
  var holder = document.getElementById("dashboard-data");
  if (!holder || typeof Chart === "undefined") { return; }
  var data = JSON.parse(holder.textContent);
  var palette = ["#1d5fa7", "#e8833a", "#3a9d5d", "#c0392b", "#8e6bbf", "#8c564b", "#d46fb0", "#7f7f7f", "#b5b82c", "#17a2b8", "#34495e"];
  Chart.defaults.font.family = '"Noto Sans CJK SC", "Microsoft YaHei", sans-serif';
  Chart.defaults.animation = false;  // screenshots and printing show the final chart at once
  Chart.defaults.maintainAspectRatio = false;

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) { canvas.chart = new Chart(canvas, config); }
  }

  draw("chart-trend", {
    type: "bar",
    data: {
      labels: data.trend.weeks,
      datasets: data.trend.series.map(function (s, i) {
        return { label: s.label, data: s.counts, backgroundColor: palette[i % palette.length] };
      })
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
               plugins: { legend: { position: "right" } } }
  });
  draw("chart-villages", {
    type: "bar",
    data: { labels: data.villages.labels, datasets: [{ label: "咨询量", data: data.villages.totals, backgroundColor: palette[0] }] },
    options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
  draw("chart-towns", {
    type: "bar",
    data: { labels: data.towns.labels, datasets: [{ label: "咨询量", data: data.towns.totals, backgroundColor: palette[2] }] },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
  draw("chart-histogram", {
    type: "bar",
    data: {
      labels: data.histogram.map(function (b) { return b.bucket; }),
      datasets: [
        { label: "按时", data: data.histogram.map(function (b) { return b.in_time; }), backgroundColor: palette[2] },
        { label: "超时", data: data.histogram.map(function (b) { return b.count - b.in_time; }), backgroundColor: palette[3] }
      ]
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
  });
  document.body.setAttribute("data-charts", "ready");
})();
