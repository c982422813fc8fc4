#pragma once
// A line chart drawn as an inline SVG element: axes with ticks and labels, one polyline per
// series, a legend of the labelled series. For learning curves in the report.

#include <string>
#include <utility>
#include <vector>

namespace attnlab {

struct ChartSeries {
  std::string label;   // shown in the legend once per label ("" : not shown)
  std::string colour;  // CSS colour
  std::vector<std::pair<double, double>> points;  // (x, y), x ascending
  double width = 1.5;
  double opacity = 1.0;
};

struct LineChart {
  std::string title, x_label, y_label;
  std::vector<ChartSeries> series;
  int width = 560, height = 320;
};

/// "Nice" tick values covering [low, high]: about `count` steps of 1, 2 or 5 × 10^k.
std::vector<double> nice_ticks(double low, double high, int count = 5);

/// The chart as an <svg> element (no XML declaration), or a short note when no series has points.
std::string line_chart_svg(const LineChart& chart);

}  // namespace attnlab
