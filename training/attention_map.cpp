#include "training/attention_map.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "training/atomic_file.h"
#include "training/markup.h"

namespace attnlab {

namespace fs = std::filesystem;

json attention_map_json(const AttentionMap& map) {
  json panels = json::array();
  for (const auto& panel : map.panels) panels.push_back(attention_map_json(panel));
  return {{"name", map.name},
          {"panels", panels},
          {"source_tokens", map.source_tokens},
          {"output_tokens", map.output_tokens},
          {"reference_tokens", map.reference_tokens},
          {"weights", map.weights},
          {"gold_columns", map.gold_columns}};
}

AttentionMap attention_map_from_json(const json& j) {
  try {
    AttentionMap map;
    map.name = j.at("name").get<std::string>();
    map.source_tokens = j.at("source_tokens").get<std::vector<std::string>>();
    map.output_tokens = j.at("output_tokens").get<std::vector<std::string>>();
    map.reference_tokens = j.at("reference_tokens").get<std::vector<std::string>>();
    for (const auto& row : j.at("weights")) {  // a non-finite weight was written as null
      map.weights.emplace_back();
      for (const auto& w : row) map.weights.back().push_back(w.is_null() ? std::nan("") : w.get<double>());
    }
    if (j.contains("gold_columns")) map.gold_columns = j.at("gold_columns").get<std::vector<int64_t>>();
    if (j.contains("panels"))
      for (const auto& panel : j.at("panels")) map.panels.push_back(attention_map_from_json(panel));
    return map;
  } catch (const json::exception& e) {
    throw std::runtime_error(std::string("not an attention map: ") + e.what());
  }
}

std::string attention_map_svg(const AttentionMap& map, const HeatmapStyle& style) {
  const int cell = style.cell, label = 70;  // pixels: one cell per weight, room for the token labels
  const int rows = static_cast<int>(map.weights.size());
  const int columns = static_cast<int>(map.source_tokens.size());
  const int width = label + columns * cell + 10, height = label + rows * cell + 10;
  std::ostringstream svg;
  svg << "<svg" << (style.standalone ? " xmlns=\"http://www.w3.org/2000/svg\"" : "") << " width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"monospace\" font-size=\"11\">\n"
      << "<title>" << xml_escape(map.name) << ": attention weights (rows: output tokens, columns: source tokens)"
      << (map.gold_columns.empty() ? "" : "; outlined: the gold alignment of the reference tokens")
      << "</title>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (int j = 0; j < columns; ++j) {  // source tokens across the top, written upwards
    const int x = label + j * cell + cell / 2 + 4, y = label - 4;
    svg << "<text x=\"" << x << "\" y=\"" << y << "\" transform=\"rotate(-90 " << x << " " << y << ")\">"
        << xml_escape(map.source_tokens[j]) << "</text>\n";
  }
  for (int i = 0; i < rows; ++i) {
    const int y = label + i * cell;
    const std::string token = i < static_cast<int>(map.output_tokens.size()) ? map.output_tokens[i] : "";
    svg << "<text x=\"" << label - 4 << "\" y=\"" << y + cell - 5 << "\" text-anchor=\"end\">" << xml_escape(token)
        << "</text>\n";
    for (int j = 0; j < columns && j < static_cast<int>(map.weights[i].size()); ++j) {
      const double w = std::isfinite(map.weights[i][j]) ? std::clamp(map.weights[i][j], 0.0, 1.0) : 0.0;
      svg << "<rect x=\"" << label + j * cell << "\" y=\"" << y << "\" width=\"" << cell << "\" height=\"" << cell
          << "\" fill=\"#08306b\" fill-opacity=\"" << format_number(w, "%.3f") << "\" stroke=\"#dddddd\" stroke-width=\"0.5\"";
      if (!style.cell_titles) {
        svg << "/>\n";
        continue;
      }
      svg << "><title>" << xml_escape(token) << " / " << xml_escape(map.source_tokens[j]) << ": "
          << format_number(map.weights[i][j], "%.4f") << "</title></rect>\n";
    }
  }
  for (int i = 0; i < rows && i < static_cast<int>(map.gold_columns.size()); ++i) {
    const int64_t j = map.gold_columns[i];
    if (j < 0 || j >= columns) continue;
    svg << "<rect x=\"" << label + j * cell + 1 << "\" y=\"" << label + i * cell + 1 << "\" width=\"" << cell - 2
        << "\" height=\"" << cell - 2 << "\" fill=\"none\" stroke=\"#e6550d\" stroke-width=\"2\"/>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

void write_attention_maps(const std::vector<AttentionMap>& maps, const std::string& directory) {
  if (maps.empty()) return;
  fs::create_directories(directory);
  for (const auto& map : maps) {
    const fs::path stem = fs::path(directory) / map.name;
    write_file_atomically(stem.string() + ".json", attention_map_json(map).dump() + "\n");
    write_file_atomically(stem.string() + ".svg", attention_map_svg(map));
  }
}

}  // namespace attnlab
