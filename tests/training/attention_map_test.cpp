// Attention maps as files: the JSON carries both token axes and the weight matrix; the SVG
// draws one cell per weight, shaded by it, with escaped token labels.

#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include "tests/test_support.h"
#include "training/attention_map.h"

namespace attnlab {
namespace {

AttentionMap small_map() {
  AttentionMap map;
  map.name = "test-0";
  map.source_tokens = {"a", "<b>", "c"};
  map.output_tokens = {"c", "[EOS]"};
  map.reference_tokens = {"c"};
  map.weights = {{0.0, 0.25, 0.75}, {1.0, 0.0, 0.0}};
  return map;
}

TEST(AttentionMap, JsonHasBothAxesAndTheWeights) {
  auto j = attention_map_json(small_map());
  EXPECT_EQ(j.at("source_tokens"), json({"a", "<b>", "c"}));
  EXPECT_EQ(j.at("output_tokens"), json({"c", "[EOS]"}));
  EXPECT_EQ(j.at("reference_tokens"), json({"c"}));
  ASSERT_EQ(j.at("weights").size(), 2u);
  EXPECT_EQ(j.at("weights")[0][2].get<double>(), 0.75);
}

TEST(AttentionMap, JsonRoundTripKeepsPanelsGoldAndNonFiniteWeights) {
  AttentionMap map = small_map();
  map.gold_columns = {2, -1};
  map.weights[1][1] = std::nan("");  // a diverged model's weight: written as null
  AttentionMap panel = small_map();
  panel.name = "cross-attention, layer 1, head 2";
  map.panels = {panel};
  const json j = json::parse(attention_map_json(map).dump());
  EXPECT_TRUE(j.at("weights")[1][1].is_null());
  const AttentionMap back = attention_map_from_json(j);
  ASSERT_EQ(back.weights.size(), 2u);
  ASSERT_EQ(back.weights[1].size(), 3u);
  EXPECT_TRUE(std::isnan(back.weights[1][1]));
  EXPECT_EQ(back.weights[0], map.weights[0]);
  EXPECT_EQ(back.gold_columns, map.gold_columns);
  ASSERT_EQ(back.panels.size(), 1u);
  EXPECT_EQ(back.panels[0].name, "cross-attention, layer 1, head 2");
  EXPECT_EQ(back.panels[0].weights, panel.weights);
  // Drawn as an empty cell; the gold cell outlined.
  const std::string svg = attention_map_svg(back);
  EXPECT_EQ(svg.find("fill-opacity=\"nan\""), std::string::npos);
  EXPECT_NE(svg.find("stroke=\"#e6550d\""), std::string::npos);
  EXPECT_THROW(attention_map_from_json(json{{"name", "x"}}), std::runtime_error);
}

TEST(AttentionMap, SvgHasOneShadedCellPerWeightAndEscapedLabels) {
  const std::string svg = attention_map_svg(small_map());
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  std::regex cell("fill-opacity=\"([0-9.]+)\"");
  std::vector<std::string> opacities;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), cell); it != std::sregex_iterator(); ++it)
    opacities.push_back((*it)[1]);
  EXPECT_EQ(opacities, (std::vector<std::string>{"0.000", "0.250", "0.750", "1.000", "0.000", "0.000"}));
  EXPECT_NE(svg.find("&lt;b&gt;"), std::string::npos);
  EXPECT_EQ(svg.find("<b>"), std::string::npos);
}

TEST(AttentionMap, WritesJsonAndSvgPerMap) {
  test_util::TempDir dir;
  const std::string out = dir.file("attention");
  write_attention_maps({small_map()}, out);
  EXPECT_EQ(json::parse(test_util::read_text(out + "/test-0.json")), attention_map_json(small_map()));
  EXPECT_EQ(test_util::read_text(out + "/test-0.svg"), attention_map_svg(small_map()));
}

}  // namespace
}  // namespace attnlab
