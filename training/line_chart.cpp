#include "training/line_chart.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "training/markup.h"

namespace attnlab {

std::vector<double> nice_ticks(double low, double high, int count) {
  if (!(high > low)) return {low};  // one value: a tick on it
  count = std::max(count, 1);
  const double range = high - low;
  const double magnitude = std::pow(10.0, std::floor(std::log10(range / count)));
  double step = magnitude;  // of 1, 2, 5, 10 × magnitude: the one giving closest to `count` steps
  for (double factor : {1.0, 2.0, 5.0, 10.0})
    if (std::abs(range / (factor * magnitude) - count) <= std::abs(range / step - count)) step = factor * magnitude;
  std::vector<double> ticks;
  for (auto k = static_cast<int64_t>(std::ceil(low / step - 1e-9)); k * step <= high + 1e-9 * step; ++k)
    ticks.push_back(std::stod(format_number(static_cast<double>(k) * step, "%.12g")));  // 3 × 0.2 is 0.6, not 0.6000000000000001
  return ticks;
}

namespace {

std::string tick_label(double value, double step) {
  if (std::abs(value) >= 1e4) return format_number(value / 1e3, "%.0fk");
  const int decimals = step >= 1 ? 0 : std::min(6, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
  const std::string pattern = "%." + std::to_string(decimals) + "f";
  return format_number(value, pattern.c_str());
}

}  // namespace

std::string line_chart_svg(const LineChart& chart) {
  double x_min = std::numeric_limits<double>::infinity(), x_max = -x_min, y_min = x_min, y_max = -x_min;
  for (const auto& s : chart.series)
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      x_min = std::min(x_min, x), x_max = std::max(x_max, x), y_min = std::min(y_min, y), y_max = std::max(y_max, y);
    }
  if (!std::isfinite(x_min)) return "<p class=\"note\">" + xml_escape(chart.title) + ": nothing logged.</p>\n";
  if (y_max == y_min) y_max = y_min + 1;
  if (x_max == x_min) x_max = x_min + 1;
  const auto x_ticks = nice_ticks(x_min, x_max), y_ticks = nice_ticks(y_min, y_max);
  x_min = std::min(x_min, x_ticks.front()), x_max = std::max(x_max, x_ticks.back());
  y_min = std::min(y_min, y_ticks.front()), y_max = std::max(y_max, y_ticks.back());

  const int left = 64, right = 150, top = 28, bottom = 44;  // margins: axis labels left and below, legend right
  const int plot_w = chart.width - left - right, plot_h = chart.height - top - bottom;
  auto px = [&](double x) { return left + (x - x_min) / (x_max - x_min) * plot_w; };
  auto py = [&](double y) { return top + plot_h - (y - y_min) / (y_max - y_min) * plot_h; };
  auto fixed = [](double v) { return format_number(v, "%.1f"); };

  std::ostringstream svg;
  svg << "<svg class=\"chart\" width=\"" << chart.width << "\" height=\"" << chart.height << "\" viewBox=\"0 0 "
      << chart.width << " " << chart.height << "\" role=\"img\" font-family=\"sans-serif\" font-size=\"11\">\n"
      << "<title>" << xml_escape(chart.title) << "</title>\n"
      << "<text x=\"" << left << "\" y=\"16\" font-size=\"13\" font-weight=\"bold\">" << xml_escape(chart.title)
      << "</text>\n";
  const double x_step = x_ticks.size() > 1 ? x_ticks[1] - x_ticks[0] : 1, y_step = y_ticks.size() > 1 ? y_ticks[1] - y_ticks[0] : 1;
  for (double t : y_ticks) {
    svg << "<line x1=\"" << left << "\" x2=\"" << left + plot_w << "\" y1=\"" << fixed(py(t)) << "\" y2=\"" << fixed(py(t))
        << "\" stroke=\"#e5e5e5\"/>\n<text x=\"" << left - 6 << "\" y=\"" << fixed(py(t) + 4)
        << "\" text-anchor=\"end\">" << tick_label(t, y_step) << "</text>\n";
  }
  for (double t : x_ticks) {
    svg << "<line x1=\"" << fixed(px(t)) << "\" x2=\"" << fixed(px(t)) << "\" y1=\"" << top + plot_h << "\" y2=\""
        << top + plot_h + 4 << "\" stroke=\"#333\"/>\n<text x=\"" << fixed(px(t)) << "\" y=\"" << top + plot_h + 16
        << "\" text-anchor=\"middle\">" << tick_label(t, x_step) << "</text>\n";
  }
  svg << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << plot_w << "\" height=\"" << plot_h
      << "\" fill=\"none\" stroke=\"#333\"/>\n"
      << "<text x=\"" << left + plot_w / 2 << "\" y=\"" << chart.height - 8 << "\" text-anchor=\"middle\">"
      << xml_escape(chart.x_label) << "</text>\n"
      << "<text x=\"14\" y=\"" << top + plot_h / 2 << "\" text-anchor=\"middle\" transform=\"rotate(-90 14 "
      << top + plot_h / 2 << ")\">" << xml_escape(chart.y_label) << "</text>\n";
  for (const auto& s : chart.series) {
    if (s.points.empty()) continue;
    svg << "<polyline fill=\"none\" stroke=\"" << xml_escape(s.colour) << "\" stroke-width=\"" << s.width
        << "\" stroke-opacity=\"" << s.opacity << "\" points=\"";
    for (const auto& [x, y] : s.points)
      if (std::isfinite(x) && std::isfinite(y)) svg << fixed(px(x)) << "," << fixed(py(y)) << " ";
    svg << "\"><title>" << xml_escape(s.label) << "</title></polyline>\n";
  }
  std::vector<std::string> shown;
  for (const auto& s : chart.series) {
    if (s.label.empty() || std::find(shown.begin(), shown.end(), s.label) != shown.end()) continue;
    const int y = top + 8 + 16 * static_cast<int>(shown.size()), x = left + plot_w + 12;
    svg << "<line x1=\"" << x << "\" x2=\"" << x + 18 << "\" y1=\"" << y << "\" y2=\"" << y << "\" stroke=\""
        << xml_escape(s.colour) << "\" stroke-width=\"3\"/>\n<text x=\"" << x + 24 << "\" y=\"" << y + 4 << "\">"
        << xml_escape(s.label) << "</text>\n";
    shown.push_back(s.label);
  }
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace attnlab
