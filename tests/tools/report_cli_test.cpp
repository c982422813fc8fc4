// The comparison report of a tiny real experiment: written at the end of `attnlab run`, well-formed,
// and holding every variant, metric, curve and map; `attnlab report` with a baseline and bad input.

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "core/options.h"
#include "tests/test_support.h"
#include "tests/tools/cli_support.h"

namespace attnlab {
namespace {

namespace fs = std::filesystem;
using test_util::attnlab_cli;
using test_util::quote;
using test_util::read_text;
using test_util::TempDir;
using test_util::write_text;

/// Three variants (no attention, Bahdanau, a Transformer) x two seeds, 40 steps: the browser test
/// (report_in_browser.sh) renders the same experiment.
const std::string kExperimentFile = std::string(ATTNLAB_SOURCE_DIR) + "/tests/fixtures/report_experiment.json";

/// What is wrong with the markup as XML: unbalanced or crossed tags, unquoted attributes,
/// a stray '<' or '&' in text. Void elements must close themselves ("<br/>").
std::vector<std::string> markup_problems(const std::string& html) {
  std::vector<std::string> problems, open;
  size_t i = 0;
  while (i < html.size()) {
    if (html[i] == '&') {
      const size_t end = html.find(';', i);
      if (end == std::string::npos || end - i > 8) problems.push_back("bare & at " + std::to_string(i));
      ++i;
      continue;
    }
    if (html[i] != '<') {
      ++i;
      continue;
    }
    const size_t end = html.find('>', i);
    if (end == std::string::npos) {
      problems.push_back("unclosed tag at " + std::to_string(i));
      break;
    }
    std::string tag = html.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.rfind("!DOCTYPE", 0) == 0 || tag.rfind("!--", 0) == 0) continue;
    if (tag.find('<') != std::string::npos) problems.push_back("'<' inside a tag: " + tag.substr(0, 40));
    const bool closing = tag[0] == '/', self_closing = tag.back() == '/';
    const std::string name = tag.substr(closing ? 1 : 0, tag.find_first_of(" /\n", closing ? 1 : 0) - (closing ? 1 : 0));
    if (!closing) {  // attributes: name="value" only
      static const std::regex attribute(R"re(\s+[A-Za-z_:][-A-Za-z0-9_:.]*="[^"<]*")re");
      std::string rest = tag.substr(name.size(), tag.size() - name.size() - (self_closing ? 1 : 0));
      rest = std::regex_replace(rest, attribute, "");
      if (rest.find_first_not_of(" \n") != std::string::npos) problems.push_back("bad attributes in <" + tag.substr(0, 60));
    }
    if (self_closing) continue;
    if (closing) {
      if (open.empty() || open.back() != name) {
        problems.push_back("</" + name + "> closes <" + (open.empty() ? std::string("nothing") : open.back()) + ">");
        return problems;
      }
      open.pop_back();
    } else {
      open.push_back(name);
      if (name == "style" || name == "title") {  // raw text up to its end tag
        const size_t close = html.find("</" + name + ">", i);
        if (close == std::string::npos) problems.push_back("<" + name + "> never closed");
        i = close == std::string::npos ? html.size() : close;
      }
    }
  }
  for (const auto& name : open) problems.push_back("<" + name + "> never closed");
  return problems;
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

TEST(ReportMarkup, TheCheckerFindsBrokenMarkup) {
  EXPECT_TRUE(markup_problems("<!DOCTYPE html><html><body><p a=\"1\">x &amp; y<br/></p></body></html>").empty());
  EXPECT_FALSE(markup_problems("<html><p></html>").empty());
  EXPECT_FALSE(markup_problems("<html><p a=1></p></html>").empty());
  EXPECT_FALSE(markup_problems("<html>x & y</html>").empty());
}

TEST(EndToEnd, RunWritesAReportWithEveryVariantMetricCurveAndMap) {
  TempDir dir;
  const fs::path out = dir.file("runs");
  auto result = attnlab_cli("run " + quote(kExperimentFile) + " --out " + quote(out.string()), dir);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const fs::path experiment = out / "tiny_report";
  ASSERT_TRUE(fs::exists(experiment / "report.html"));
  EXPECT_NE(result.out.find("report.html"), std::string::npos) << result.out;

  // Every run records its test examples and its cost.
  for (const char* variant : {"plain", "attended", "transformer"}) {
    for (const char* seed : {"seed-1", "seed-2"}) {
      const fs::path run = experiment / variant / seed;
      const std::string predictions = read_text((run / "predictions.jsonl").string());
      ASSERT_EQ(count_of(predictions, "\n"), 40u) << run;  // test_size
      const json first = json::parse(predictions.substr(0, predictions.find('\n')));
      EXPECT_EQ(first.at("id"), 0);
      EXPECT_EQ(first.at("statistics").at("exact_match").size(), 2u);
      EXPECT_FALSE(first.at("reference").get<std::string>().empty());
      const json results = json::parse(read_text((run / "results.json").string()));
      EXPECT_GT(results.at("train_flops_per_token").get<double>(), 0.0);
      EXPECT_GT(results.at("peak_rss_bytes").get<double>(), 1e6);
    }
  }
  // Attention adds work: the attended variant costs more FLOPs per token.
  auto flops = [&](const char* variant) {
    return json::parse(read_text((experiment / variant / "seed-1" / "results.json").string()))
        .at("train_flops_per_token")
        .get<double>();
  };
  EXPECT_GT(flops("attended"), flops("plain"));

  const std::string html = read_text((experiment / "report.html").string());
  const auto problems = markup_problems(html);
  EXPECT_TRUE(problems.empty()) << problems.front();
  for (const char* text : {">plain<", ">attended<", ">transformer<", "exact_match %", "token_accuracy %", "alignment_accuracy %",
                           "Against the baseline: plain", "Δ exact_match %", "train FLOPs / token", "peak memory MiB",
                           "Training loss", "Validation token_accuracy %", "<h3>test-0</h3>", "<h3>test-1</h3>"})
    EXPECT_NE(html.find(text), std::string::npos) << text;
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org"));  // nothing fetched
  EXPECT_EQ(count_of(html, "<polyline"), 12u);  // 2 charts x (3 variants x 2 seeds)
  // 2 maps x 3 variants ("plain" shows it has none), and for the Transformer's first example every
  // layer and head: 2 layers x (encoder self, decoder self, cross) x 4 heads.
  EXPECT_EQ(count_of(html, "<details>"), 1u);
  EXPECT_NE(html.find("transformer: every layer and head (24 maps)"), std::string::npos);
  EXPECT_NE(html.find(">cross-attention, layer 2, head 4<"), std::string::npos);
  EXPECT_EQ(count_of(html, "<figure>"), 6u + 24u);
  EXPECT_GT(count_of(html, "stroke=\"#e6550d\""), 0u);  // the gold alignment, outlined

  // attnlab report: another baseline, another file.
  auto report = attnlab_cli("report " + quote(experiment.string()) + " --baseline attended --out " +
                                quote(dir.file("other.html")) + " --resamples 200",
                            dir);
  ASSERT_EQ(report.exit_code, 0) << report.err;
  const std::string other = read_text(dir.file("other.html"));
  EXPECT_NE(other.find("Against the baseline: attended"), std::string::npos);
  EXPECT_NE(other.find("200 resamples"), std::string::npos);
  EXPECT_NE(other.find("p<sub>seeds</sub>"), std::string::npos);

  // Bad input: one line, exit 2, nothing written.
  auto bad = attnlab_cli("report " + quote(experiment.string()) + " --baseline nope --out " +
                             quote(dir.file("bad.html")),
                         dir);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(count_of(bad.err, "\n"), 1u) << bad.err;
  EXPECT_NE(bad.err.find("--baseline nope"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(dir.file("bad.html")));
  auto missing = attnlab_cli("report " + quote(dir.file("nowhere")), dir);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nowhere: not a directory"), std::string::npos) << missing.err;

  // A metrics.jsonl whose last line was cut short (a run killed while writing it) still reports;
  // a damaged line before the last one is named.
  const std::string log = (experiment / "plain" / "seed-1" / "metrics.jsonl").string();
  const std::string whole = read_text(log);
  ASSERT_GT(count_of(whole, "\n"), 2u);
  write_text(log, whole + "{\"event\": \"train\", \"st");
  auto torn = attnlab_cli("report " + quote(experiment.string()) + " --out " + quote(dir.file("torn.html")), dir);
  EXPECT_EQ(torn.exit_code, 0) << torn.err;
  EXPECT_TRUE(fs::exists(dir.file("torn.html")));
  write_text(log, "{\"event\": \"tr\n" + whole);
  auto damaged = attnlab_cli("report " + quote(experiment.string()) + " --out " + quote(dir.file("damaged.html")), dir);
  EXPECT_EQ(damaged.exit_code, 2);
  EXPECT_EQ(damaged.err, "attnlab report: " + log + ":1: not a JSON object\n");
  EXPECT_FALSE(fs::exists(dir.file("damaged.html")));
}

}  // namespace
}  // namespace attnlab
