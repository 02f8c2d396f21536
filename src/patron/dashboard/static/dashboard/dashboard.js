// Draws the charts whose specs the page carries as JSON (json_script), and wires small conveniences.
// No inline scripts anywhere: the Content-Security-Policy allows scripts from the app only.
"use strict";

const PALETTE = ["#1d4ed8", "#0f766e", "#b45309", "#7c3aed", "#be123c", "#475569"];

function drawCharts(root) {
  root.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    if (canvas.dataset.drawn) return;
    const source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") return;
    const spec = JSON.parse(source.textContent);
    spec.data.datasets.forEach((set, i) => {
      set.backgroundColor = set.backgroundColor || PALETTE[i % PALETTE.length];
      set.borderColor = set.borderColor || PALETTE[i % PALETTE.length];
    });
    // Numbers on the axes and in the tooltips as the page's language writes them (4 500,5 in Lithuanian).
    spec.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false,
                                   locale: document.documentElement.lang || "en" }, spec.options || {});
    new Chart(canvas, spec);
    canvas.dataset.drawn = "1";
  });
}

document.addEventListener("DOMContentLoaded", () => {
  drawCharts(document);
  // The language menu applies on change; its button stays for browsers without scripts.
  document.querySelectorAll("form[data-autosubmit] select").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
  document.querySelectorAll(".js-hide").forEach((el) => el.classList.add("hidden"));
});
document.addEventListener("htmx:afterSwap", (event) => drawCharts(event.target));
