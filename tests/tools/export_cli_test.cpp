// `attnlab export` as a user runs it: a trained translator, classifier and masked LM exported
// to one file each; `translate|classify|fill-mask --model FILE.pt` print exactly what the run
// directory prints, and so does tools/python/attnlab_export_demo.py (torch + sentencepiece
// only); bad inputs get one line and exit code 2.

#include <gtest/gtest.h>

#include <sstream>

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <torch/script.h>

#include "core/options.h"
#include "tests/test_support.h"
#include "tests/tools/cli_support.h"

namespace attnlab {
namespace {

namespace fs = std::filesystem;
using test_util::attnlab_cli;
using test_util::CliResult;
using test_util::quote;
using test_util::read_text;
using test_util::TempDir;
using test_util::write_text;

/// tools/python/attnlab_export_demo.py ARGS, with Debian's python3 (python3-torch).
CliResult python_demo(const std::string& args, const TempDir& dir, const std::string& stdin_path = "/dev/null") {
  const std::string out = dir.file("python.out"), err = dir.file("python.err");
  const std::string command = std::string(ATTNLAB_TORCH_PYTHON) + " " + ATTNLAB_SOURCE_DIR +
                              "/tools/python/attnlab_export_demo.py " + args + " < " + quote(stdin_path) + " > " +
                              quote(out) + " 2> " + quote(err);
  const int status = std::system(command.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_text(out), read_text(err)};
}

int lines(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

/// Translations printed by C++ and by Python agree: the same lines and texts, and scores (a
/// number between tabs, printed to 6 digits) to 1e-5 relative: Python's LibTorch sums in its own
/// order, which can move the last printed digit.
void expect_same_translations(const std::string& actual, const std::string& expected) {
  auto split = [](const std::string& text, char by) {
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(text);
    while (std::getline(in, part, by)) parts.push_back(part);
    return parts;
  };
  const auto a = split(actual, '\n'), e = split(expected, '\n');
  ASSERT_EQ(a.size(), e.size()) << actual << "\n---\n" << expected;
  ASSERT_FALSE(e.empty());
  for (size_t i = 0; i < e.size(); ++i) {
    const auto fa = split(a[i], '\t'), fe = split(e[i], '\t');
    ASSERT_EQ(fa.size(), fe.size()) << "line " << i + 1 << ": " << a[i] << " | " << e[i];
    for (size_t k = 0; k < fe.size(); ++k) {
      char* end = nullptr;
      const double x = std::strtod(fe[k].c_str(), &end);
      const bool number = !fe[k].empty() && end == fe[k].c_str() + fe[k].size() && fe[k].find('.') != std::string::npos;
      if (number) EXPECT_NEAR(std::strtod(fa[k].c_str(), nullptr), x, 1e-5 * std::max(1.0, std::abs(x))) << "line " << i + 1;
      else EXPECT_EQ(fa[k], fe[k]) << "line " << i + 1;
    }
  }
}

TEST(EndToEnd, ExportedTranslatorsTranslateAsTheirRunsInCppAndPython) {
  TempDir dir;
  test_util::write_numeral_corpus(dir);
  const json experiment = {
      {"name", "numerals"},
      {"data", {{"type", "parallel_text"}, {"train", dir.file("train.tsv")}, {"valid", dir.file("valid.tsv")},
                {"test", dir.file("test.tsv")}, {"tokenizer", {{"type", "sentencepiece"}, {"vocab_size", 32}}}}},
      {"model", {{"type", "rnn_seq2seq"}, {"embedding", 8}, {"hidden", 16}, {"attention", "bahdanau"}}},
      {"train", {{"optimizer", {{"type", "adam"}, {"lr", 0.01}}}, {"batch_size", 16}, {"max_steps", 40}, {"eval_every", 20}}},
      {"eval", {{"beam", 2}}},
      {"seeds", {1}},
      {"threads", 1},
      {"variants",
       {{"bahdanau", json::object()},
        {"transformer", {{"model", {{"type", "transformer"}, {"embedding", nullptr}, {"hidden", nullptr}, {"attention", nullptr},
                                    {"dims", 16}, {"feed_forward", 32}, {"encoder_layers", 1}, {"decoder_layers", 1},
                                    {"encoder_attention", {{"type", "multi_head"}, {"heads", 2}, {"score", "scaled_dot"}, {"scope", "global"}}},
                                    {"decoder_attention", {{"type", "multi_head"}, {"heads", 2}, {"score", "scaled_dot"}, {"scope", "global"}}},
                                    {"cross_attention", {{"type", "local_m"}, {"score", "general"}, {"window", 2}}}}}}}}}};
  write_text(dir.file("numerals.json"), experiment.dump(2));
  const std::string out = dir.file("runs");
  auto trained = attnlab_cli("run " + quote(dir.file("numerals.json")) + " --out " + quote(out) + " --jobs 1", dir);
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  write_text(dir.file("sources.txt"), "siete ocho uno\ndos\n\nuno dos tres cuatro cinco seis\ntres tres\n");

  for (const char* variant : {"bahdanau", "transformer"}) {
    SCOPED_TRACE(variant);
    const std::string run = out + "/numerals/" + variant + "/seed-1", model = dir.file(std::string(variant) + ".pt");
    auto exported = attnlab_cli("export " + quote(run) + " --out " + quote(model), dir);
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    EXPECT_EQ(exported.out.rfind("wrote " + model, 0), 0u) << exported.out;

    for (const std::string options : {"", " --beam 3 --n-best 3", " --beam 1"}) {
      auto from_run = attnlab_cli("translate " + quote(run) + options, dir, dir.file("sources.txt"));
      auto from_file = attnlab_cli("translate --model " + quote(model) + options, dir, dir.file("sources.txt"));
      ASSERT_EQ(from_run.exit_code, 0) << from_run.err;
      ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
      ASSERT_GE(lines(from_run.out), 5) << from_run.out;
      EXPECT_EQ(from_file.out, from_run.out) << options;
      auto from_python = python_demo("translate " + quote(model) + options, dir, dir.file("sources.txt"));
      ASSERT_EQ(from_python.exit_code, 0) << from_python.err;
      SCOPED_TRACE(options);
      expect_same_translations(from_python.out, from_run.out);
    }
  }

  // The extra files, as Python reads them: manifest, config, tokenizer, vocabulary.
  torch::jit::ExtraFilesMap extra{{"attnlab.json", ""}, {"config.json", ""}, {"tokenizer.model", ""}, {"vocabulary.txt", ""}};
  auto module = torch::jit::load(dir.file("bahdanau.pt"), c10::nullopt, extra);
  const json manifest = json::parse(extra["attnlab.json"]);
  EXPECT_EQ(manifest["kind"], "seq2seq");
  EXPECT_EQ(manifest["model"], "rnn_seq2seq");
  EXPECT_EQ(manifest["format_version"], 1);
  EXPECT_EQ(json::parse(extra["config.json"])["variant"], "bahdanau");
  EXPECT_FALSE(extra["tokenizer.model"].empty());
  EXPECT_EQ(lines(extra["vocabulary.txt"]), 32);
  // Parameters under the C++ module's names.
  bool found = false;
  for (const auto& p : module.named_parameters()) found |= p.name == "attention.score.query_proj.weight";
  EXPECT_TRUE(found);

  // Bad inputs: one line, exit 2, nothing half-written.
  const std::string run = out + "/numerals/bahdanau/seed-1";
  auto no_out = attnlab_cli("export " + quote(run), dir);
  EXPECT_EQ(no_out.exit_code, 2);
  EXPECT_EQ(lines(no_out.err), 1) << no_out.err;
  auto no_run = attnlab_cli("export " + quote(dir.file("nowhere")) + " --out " + quote(dir.file("x.pt")), dir);
  EXPECT_EQ(no_run.exit_code, 2);
  EXPECT_EQ(lines(no_run.err), 1) << no_run.err;
  EXPECT_FALSE(fs::exists(dir.file("x.pt")));
  fs::copy(run, dir.file("damaged"), fs::copy_options::recursive);
  fs::resize_file(dir.file("damaged/checkpoints/best.pt"), 100);
  auto damaged = attnlab_cli("export " + quote(dir.file("damaged")) + " --out " + quote(dir.file("x.pt")), dir);
  EXPECT_EQ(damaged.exit_code, 2);
  EXPECT_EQ(lines(damaged.err), 1) << damaged.err;
  EXPECT_NE(damaged.err.find("best.pt"), std::string::npos) << damaged.err;
  EXPECT_FALSE(fs::exists(dir.file("x.pt")));

  auto not_an_export = attnlab_cli("translate --model " + quote(run + "/config.json"), dir, dir.file("sources.txt"));
  EXPECT_EQ(not_an_export.exit_code, 2);
  EXPECT_EQ(not_an_export.err.rfind(run + "/config.json: not a TorchScript file", 0), 0u) << not_an_export.err;
  EXPECT_EQ(lines(not_an_export.err), 1) << not_an_export.err;
  auto checkpoint = attnlab_cli("translate --model " + quote(run + "/checkpoints/best.pt"), dir, dir.file("sources.txt"));
  EXPECT_EQ(checkpoint.exit_code, 2);
  EXPECT_EQ(checkpoint.err, run + "/checkpoints/best.pt: a checkpoint, not an export (make one from its run directory "
                                  "with `attnlab export`)\n");
  json newer = manifest;
  newer["format_version"] = 2;
  extra["attnlab.json"] = newer.dump();
  module.save(dir.file("newer.pt"), extra);
  auto too_new = attnlab_cli("translate --model " + quote(dir.file("newer.pt")), dir, dir.file("sources.txt"));
  EXPECT_EQ(too_new.exit_code, 2);
  EXPECT_NE(too_new.err.find("export format version 2 is newer than this attnlab's 1"), std::string::npos) << too_new.err;
  auto wrong_kind = attnlab_cli("classify --model " + quote(dir.file("bahdanau.pt")), dir, dir.file("sources.txt"));
  EXPECT_EQ(wrong_kind.exit_code, 2);
  EXPECT_EQ(wrong_kind.err, dir.file("bahdanau.pt") + ": an export of a seq2seq model, not of a classifier model\n");
  auto both = attnlab_cli("translate " + quote(run) + " --model " + quote(dir.file("bahdanau.pt")), dir);
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_EQ(lines(both.err), 1) << both.err;
}

/// Documents labelled by whether their words count up or down the cycle w0 … w9, one text per
/// line for masked-LM training.
void write_cycle_corpora(const TempDir& dir) {
  for (const auto& [split, count] : std::vector<std::pair<std::string, int>>{{"train", 200}, {"valid", 20}, {"test", 20}}) {
    std::string text, labelled;
    for (int i = 0; i < count; ++i) {
      const int first = (i * 7) % 10, length = 4 + i % 5;
      std::string line, reversed;
      for (int k = 0; k < length; ++k) {
        line += (k ? " w" : "w") + std::to_string((first + k) % 10);
        reversed += (k ? " w" : "w") + std::to_string((first + 10 - k) % 10);
      }
      text += line + "\n";
      labelled += (i % 2 ? "up\t" + line + ". " + reversed : "down\t" + reversed + ". " + line) + "\n";
    }
    write_text(dir.file(split + ".txt"), text);
    write_text(dir.file(split + ".tsv"), labelled);
  }
}

TEST(EndToEnd, ExportedClassifiersAndMaskedLMsAnswerAsTheirRunsInCppAndPython) {
  TempDir dir;
  write_cycle_corpora(dir);
  json experiment = json::parse(R"({
    "name": "cycle",
    "task": "classification",
    "data": {"type": "labelled_text", "tokenizer": "word"},
    "model": {"type": "document_classifier", "embedding": 8, "hidden": 8},
    "train": {"optimizer": {"type": "adam", "lr": 0.01}, "batch_size": 16, "max_steps": 30, "eval_every": 15},
    "eval": {"attention_maps": 0},
    "seeds": [1],
    "threads": 1,
    "variants": {"han": {},
                 "bert": {"model": {"type": "bert_classifier", "embedding": null, "hidden": null, "dims": 16,
                                    "layers": 1, "feed_forward": 32, "max_length": 10}}}
  })");
  for (const char* split : {"train", "valid", "test"}) experiment["data"][split] = dir.file(std::string(split) + ".tsv");
  write_text(dir.file("cycle.json"), experiment.dump(2));
  json mlm = json::parse(R"({
    "name": "mlm",
    "task": "masked_lm",
    "data": {"type": "monolingual_text", "tokenizer": "word", "max_length": 12},
    "model": {"type": "bert", "dims": 16, "layers": 1, "feed_forward": 32, "max_length": 12},
    "train": {"optimizer": {"type": "adam", "lr": 0.005}, "batch_size": 16, "max_steps": 40, "eval_every": 20},
    "eval": {"attention_maps": 0},
    "seeds": [1],
    "threads": 1
  })");
  for (const char* split : {"train", "valid", "test"}) mlm["data"][split] = dir.file(std::string(split) + ".txt");
  write_text(dir.file("mlm.json"), mlm.dump(2));
  const std::string out = dir.file("runs");
  for (const char* file : {"cycle.json", "mlm.json"}) {
    auto trained = attnlab_cli("run " + quote(dir.file(file)) + " --out " + quote(out), dir);
    ASSERT_EQ(trained.exit_code, 0) << trained.err;
  }

  write_text(dir.file("documents.txt"), "w1 w2 w3\nw4 w5\n\nw9 w8 w7 w6\n\nw3 w2.\nw1 w0 w9 w8 w7 w6 w5 w4 w3 w2 w1\n");
  for (const char* variant : {"han", "bert"}) {
    SCOPED_TRACE(variant);
    const std::string run = out + "/cycle/" + variant + "/seed-1", model = dir.file(std::string(variant) + ".pt");
    ASSERT_EQ(attnlab_cli("export " + quote(run) + " --out " + quote(model), dir).exit_code, 0);
    auto from_run = attnlab_cli("classify " + quote(run), dir, dir.file("documents.txt"));
    auto from_file = attnlab_cli("classify --model " + quote(model), dir, dir.file("documents.txt"));
    ASSERT_EQ(from_run.exit_code, 0) << from_run.err;
    ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
    ASSERT_EQ(lines(from_run.out), 3) << from_run.out;
    EXPECT_EQ(from_file.out, from_run.out);
    auto from_python = python_demo("classify " + quote(model), dir, dir.file("documents.txt"));
    ASSERT_EQ(from_python.exit_code, 0) << from_python.err;
    EXPECT_EQ(from_python.out, from_run.out);
  }

  const std::string run = out + "/mlm/default/seed-1", model = dir.file("mlm.pt");
  ASSERT_EQ(attnlab_cli("export " + quote(run) + " --checkpoint latest --out " + quote(model), dir).exit_code, 0);
  auto latest = attnlab_cli("export " + quote(run) + " --checkpoint newest --out " + quote(model), dir);
  EXPECT_EQ(latest.exit_code, 2);
  EXPECT_EQ(latest.err, "--checkpoint newest: unknown; known: best, latest\n");
  ASSERT_EQ(attnlab_cli("export " + quote(run) + " --out " + quote(model), dir).exit_code, 0);
  const std::string text = quote("w3 w4 [MASK] w6 [MASK]");
  auto from_run = attnlab_cli("fill-mask " + quote(run) + " " + text + " --top-k 3", dir);
  auto from_file = attnlab_cli("fill-mask --model " + quote(model) + " " + text + " --top-k 3", dir);
  ASSERT_EQ(from_run.exit_code, 0) << from_run.err;
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  ASSERT_EQ(lines(from_run.out), 4) << from_run.out;
  EXPECT_EQ(from_file.out, from_run.out);
  auto from_python = python_demo("fill-mask " + quote(model) + " " + text + " --top-k 3", dir);
  ASSERT_EQ(from_python.exit_code, 0) << from_python.err;
  EXPECT_EQ(from_python.out, from_run.out);
}

}  // namespace
}  // namespace attnlab
