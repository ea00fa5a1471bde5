// The dashboard's charts, drawn with Chart.js (served from /static/vendor) from the JSON block
// beside each chart. The tables beside them carry the same numbers; without this file, or
// without Chart.js, the charts stay hidden and the tables say it all.
"use strict";

(function () {
  var Chart = window.Chart;
  if (!Chart) {
    return;
  }
  var language = document.documentElement.lang || "zh-CN";
  var numbers = new Intl.NumberFormat(language);
  var percents = new Intl.NumberFormat(language, { style: "percent", maximumFractionDigits: 0 });
  var TEXT = "#0b0c0c";
  var GRID = "#d8dadb";
  var FONT = getComputedStyle(document.body).fontFamily;
  var NARROW = 480;  // px: a phone; smaller type, fewer ticks
  // Each at least 6:1 on white, so a bar or a line stands out from the page (WCAG 1.4.11);
  // and each series differs by a pattern, a dash or a marker too: colour is never the only cue.
  var LOOKS = [
    { colour: "#0b4f8a", pattern: "solid", dash: [], point: "circle" },
    { colour: "#a34700", pattern: "stripes", dash: [7, 4], point: "triangle" },
    { colour: "#6a3d9a", pattern: "dots", dash: [2, 3], point: "rect" },
    { colour: "#00703c", pattern: "grid", dash: [12, 4], point: "rectRot" }
  ];

  Chart.defaults.font.family = FONT;
  Chart.defaults.color = TEXT;
  Chart.defaults.borderColor = GRID;
  Chart.defaults.animation = false;  // nothing moves: the picture is there at once
  Chart.defaults.maintainAspectRatio = false;

  // A colour with white stripes, dots or a grid over it.
  function patterned(look) {
    if (look.pattern === "solid") {
      return look.colour;
    }
    var tile = document.createElement("canvas");
    tile.width = tile.height = 10;
    var pen = tile.getContext("2d");
    pen.fillStyle = look.colour;
    pen.fillRect(0, 0, 10, 10);
    pen.strokeStyle = pen.fillStyle = "#ffffff";
    pen.lineWidth = 2;
    pen.beginPath();
    if (look.pattern === "stripes") {
      pen.moveTo(-2, 12);
      pen.lineTo(12, -2);
      pen.moveTo(-2, 2);
      pen.lineTo(2, -2);
      pen.moveTo(8, 12);
      pen.lineTo(12, 8);
      pen.stroke();
    } else if (look.pattern === "dots") {
      pen.arc(5, 5, 1.8, 0, 2 * Math.PI);
      pen.fill();
    } else {
      pen.moveTo(5, 0);
      pen.lineTo(5, 10);
      pen.moveTo(0, 5);
      pen.lineTo(10, 5);
      pen.stroke();
    }
    return pen.createPattern(tile, "repeat");
  }

  function formatted(value, percent) {
    if (value === null || value === undefined) {
      return "—";
    }
    return percent ? percents.format(value) : numbers.format(value);
  }

  var measure = document.createElement("canvas").getContext("2d");
  function textWidth(text, font) {
    measure.font = font;
    return Math.ceil(measure.measureText(text).width);
  }

  // A label broken into lines no wider than `room` pixels: at spaces, or anywhere in words of
  // Chinese, which has none.
  function wrapped(label, room, font) {
    var lines = [];
    var line = "";
    var pieces = label.indexOf(" ") < 0 ? Array.from(label) : label.split(/(?= )/);
    pieces.forEach(function (piece) {
      if (line && textWidth((line + piece).trim(), font) > room) {
        lines.push(line.trim());
        line = piece.trim();
      } else {
        line += piece;
      }
    });
    lines.push(line.trim());
    return lines;
  }

  // The number at the end of each bar (for stacked bars, their total), so it reads without
  // hovering.
  var endLabels = {
    id: "huiyinEndLabels",
    afterDatasetsDraw: function (chart, args, options) {
      var pen = chart.ctx;
      pen.save();
      pen.fillStyle = TEXT;
      pen.font = options.font;
      pen.textAlign = "left";
      pen.textBaseline = "middle";
      var scale = chart.scales.x;
      var datasets = chart.data.datasets;
      if (options.stacked) {
        chart.getDatasetMeta(datasets.length - 1).data.forEach(function (bar, position) {
          var total = datasets.reduce(function (sum, dataset) {
            return sum + (dataset.data[position] || 0);
          }, 0);
          pen.fillText(formatted(total), scale.getPixelForValue(total) + 4, bar.y);
        });
      } else {
        datasets.forEach(function (dataset, index) {
          chart.getDatasetMeta(index).data.forEach(function (bar, position) {
            var value = dataset.data[position];
            if (value !== null && value !== undefined) {
              pen.fillText(formatted(value, options.percent), bar.x + 4, bar.y);
            }
          });
        });
      }
      pen.restore();
    }
  };

  // A stacked chart arrives as one series per kind and stage ("breaches" × "reply"); it is
  // drawn as two bars per department, one per kind, each named on the axis and stacked by stage.
  function byKind(spec) {
    var kinds = Object.keys(spec.stacks);
    var stages = spec.series.filter(function (series) { return series.stack === kinds[0]; });
    var categories = [];
    spec.labels.forEach(function (name, index) {
      kinds.forEach(function (kind, order) {
        categories.push({ name: order ? null : name, kind: spec.stacks[kind], index: index,
                          title: name + " · " + spec.stacks[kind] });
      });
    });
    return {
      categories: categories,
      series: stages.map(function (stage, place) {
        return {
          label: stage.legend,
          values: categories.map(function (category, position) {
            var kind = kinds[position % kinds.length];
            var series = spec.series.filter(function (each) { return each.stack === kind; });
            return series[place].values[category.index];
          })
        };
      })
    };
  }

  function legendHeight(labels, width, font, box) {
    var rows = 1;
    var used = 0;
    labels.forEach(function (label) {
      var item = textWidth(label, font) + box + 20;
      if (used && used + item > width) {
        rows += 1;
        used = 0;
      }
      used += item;
    });
    return rows * 26 + 10;
  }

  function barChart(spec, box, width) {
    var narrow = width < NARROW;
    var size = narrow ? 12 : 14;
    var font = size + "px " + FONT;
    var endFont = "600 " + (size - 1) + "px " + FONT;
    var percent = spec.kind === "percent";
    var stacked = spec.kind === "stacked";
    var room = Math.floor(width * (narrow ? 0.36 : 0.3));
    var drawn = stacked ? byKind(spec) : {
      categories: spec.labels.map(function (name, index) {
        var note = (spec.notes || [])[index];
        return { name: name, note: note, title: note ? name + " · " + note : name };
      }),
      series: spec.series
    };
    var labels = drawn.categories.map(function (category) {
      var lines = category.name ? wrapped(category.name, room, font) : [];
      return lines.concat(category.kind ? wrapped(category.kind, room, font) : [],
                          category.note ? wrapped(category.note, room, font) : []);
    });
    var bars = stacked ? 1 : drawn.series.length;
    var legend = drawn.series.length > 1;
    var legendLabels = drawn.series.map(function (series) { return series.label; });
    // Every category gets the same height: enough for the longest label and for its bars.
    var lines = Math.max.apply(null, labels.map(function (label) { return label.length; }));
    var row = Math.max(lines * size * 1.25 + 14, bars * 20 + 14);
    var height = labels.length * row + 40;
    if (legend) {
      height += legendHeight(legendLabels, width, font, 24);
    }
    box.style.height = Math.ceil(height) + "px";  // as tall as its labels need

    var values = {
      beginAtZero: true,
      stacked: stacked,
      grid: { color: GRID },
      ticks: {
        font: { size: size },
        callback: function (value) { return formatted(value, percent); }
      }
    };
    if (percent) {
      values.max = 1;
      values.ticks.stepSize = narrow ? 0.5 : 0.25;
    } else {
      values.ticks.precision = 0;  // counts: whole numbers only
    }
    return {
      type: "bar",
      data: {
        labels: labels,
        datasets: drawn.series.map(function (series, index) {
          var look = LOOKS[index % LOOKS.length];
          return {
            label: series.label,
            data: series.values,
            backgroundColor: patterned(look),
            borderColor: look.colour,
            borderWidth: 1.5,
            stack: stacked ? "all" : undefined,
            maxBarThickness: 30
          };
        })
      },
      options: {
        indexAxis: "y",
        responsive: true,
        layout: {
          padding: { right: textWidth(formatted(percent ? 1 : 9999, percent), endFont) + 8 }
        },
        scales: {
          x: values,
          y: {
            stacked: stacked,
            // A stacked chart's two bars per department: a rule above each department's pair.
            grid: stacked ? {
              offset: true,
              drawTicks: false,
              color: function (context) { return context.index % 2 ? "transparent" : GRID; }
            } : { display: false },
            ticks: { autoSkip: false, font: { size: size } }
          }
        },
        plugins: {
          legend: {
            display: legend,
            position: "bottom",
            labels: { boxWidth: 24, boxHeight: 14, font: { size: size } }
          },
          tooltip: {
            callbacks: {
              title: function (items) {
                return drawn.categories[items[0].dataIndex].title;
              },
              label: function (item) {
                return item.dataset.label + ": " + formatted(item.raw, percent);
              }
            }
          },
          huiyinEndLabels: { percent: percent, stacked: stacked, font: endFont }
        }
      },
      plugins: [endLabels]
    };
  }

  function lineChart(spec, box, width) {
    var narrow = width < NARROW;
    var size = narrow ? 12 : 14;
    return {
      type: "line",
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (series, index) {
          var look = LOOKS[index % LOOKS.length];
          return {
            label: series.label,
            data: series.values,
            borderColor: look.colour,
            backgroundColor: look.colour,
            borderDash: look.dash,
            borderWidth: 2.5,
            pointStyle: look.point,
            pointRadius: 4,
            pointHoverRadius: 6
          };
        })
      },
      options: {
        responsive: true,
        scales: {
          x: {
            grid: { display: false },
            ticks: { maxRotation: 0, autoSkipPadding: 12, font: { size: size } }
          },
          y: {
            beginAtZero: true,
            grace: "8%",
            grid: { color: GRID },
            ticks: { precision: 0, font: { size: size }, callback: function (value) {
              return formatted(value);
            } }
          }
        },
        plugins: {
          legend: {
            position: "bottom",
            labels: { usePointStyle: true, boxWidth: 10, boxHeight: 10, font: { size: size } }
          },
          tooltip: { mode: "index", intersect: false }
        },
        interaction: { mode: "index", intersect: false },
        layout: { padding: { right: narrow ? 4 : 12, top: 4 } }
      }
    };
  }

  document.querySelectorAll("[data-chart]").forEach(function (figure) {
    var spec = JSON.parse(document.getElementById(figure.getAttribute("data-chart")).textContent);
    if (!spec.labels.length) {
      return;  // nothing to draw: the table says so
    }
    figure.hidden = false;
    var box = figure.querySelector(".chart__canvas");
    var width = box.clientWidth;
    var draw = spec.kind === "line" ? lineChart : barChart;
    new Chart(figure.querySelector("canvas"), draw(spec, box, width));
  });
}());
