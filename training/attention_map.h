#pragma once
// One attention map of one example: which source token each output token looked at.
// Written as attention/<name>.json (tokens on both axes and the weight matrix) and drawn
// as attention/<name>.svg (a heatmap: output tokens down, source tokens across).

#include <string>
#include <vector>

#include "core/options.h"

namespace attnlab {

struct AttentionMap {
  std::string name;                          // file stem, e.g. "test-0"
  std::vector<std::string> source_tokens;    // columns
  std::vector<std::string> output_tokens;    // rows: the model's own (decoded) tokens
  std::vector<std::string> reference_tokens; // the gold output, for the reader
  std::vector<std::vector<double>> weights;  // [rows][columns]
  /// Where the task has a gold alignment: for output row i, the source column the i-th reference
  /// token comes from (-1: none); empty otherwise. Drawn as an outlined cell.
  std::vector<int64_t> gold_columns;
  /// Models with several layers or heads: every layer's every head as a map of its own (name:
  /// which attention, layer and head; rows and columns the positions it relates).
  std::vector<AttentionMap> panels;
};

/// The map of attention_map_json (std::runtime_error when a field is missing or of the wrong type).
AttentionMap attention_map_from_json(const json& j);

json attention_map_json(const AttentionMap& map);
struct HeatmapStyle {
  bool standalone = true;  // an SVG document; false: an <svg> element to inline in HTML
  int cell = 18;           // pixels per weight
  bool cell_titles = true; // each cell names its tokens and weight (hover); off for compact pages
};

/// The map as a heatmap: output tokens down, source tokens across, the gold alignment outlined.
std::string attention_map_svg(const AttentionMap& map, const HeatmapStyle& style = {});

/// Writes <directory>/<name>.json and .svg for every map (atomically, creating the directory).
void write_attention_maps(const std::vector<AttentionMap>& maps, const std::string& directory);

}  // namespace attnlab
