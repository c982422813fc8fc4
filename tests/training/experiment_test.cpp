// Experiment files: strict resolution, one error line per class naming file and pointer,
// merge-patch variants and --set.

#include <gtest/gtest.h>

#include "tests/test_support.h"
#include "training/experiment.h"

namespace attnlab {
namespace {

using test_util::TempDir;
using test_util::write_text;

const char* kBase = R"({
  "data": {"type": "copy", "train_size": 50, "valid_size": 5, "test_size": 5},
  "model": {"type": "rnn_seq2seq", "hidden": 16, "attention": "none"},
  "train": {"max_steps": 10},
  "seeds": [4, 5]
})";

std::string load_error(const std::string& text, const ExperimentOverrides& overrides = {}) {
  TempDir dir;
  const std::string path = dir.file("x.json");
  write_text(path, text);
  try {
    load_experiment(path, overrides);
  } catch (const ExperimentError& e) {
    std::string what = e.what();
    // Replace the temporary path with a fixed name.
    if (what.rfind(path, 0) == 0) what = "x.json" + what.substr(path.size());
    return what;
  }
  return "no error";
}

json with(const std::string& pointer, const json& value) {
  json j = json::parse(kBase);
  j[json::json_pointer(pointer)] = value;
  return j;
}

TEST(Experiment, ResolvesDefaultsAndNamesFromTheFile) {
  TempDir dir;
  write_text(dir.file("copy_test.json"), kBase);
  auto experiment = load_experiment(dir.file("copy_test.json"));
  EXPECT_EQ(experiment.name, "copy_test");
  ASSERT_EQ(experiment.variants.size(), 1u);
  const auto& v = experiment.variants[0];
  EXPECT_EQ(v.name, "default");
  EXPECT_EQ(v.options.model().at("hidden"), 16);
  EXPECT_EQ(v.options.model().at("embedding"), 64);  // the default of RnnSeq2SeqOptions
  EXPECT_EQ(v.resolved.at("train").at("optimizer").at("type"), "adam");
  EXPECT_EQ(v.resolved.at("task"), json({{"type", "seq2seq"}, {"label_smoothing", 0.0}}));
  EXPECT_EQ(v.options.seeds(), (std::vector<int64_t>{4, 5}));
}

TEST(Experiment, UnknownRegistryName) {
  EXPECT_EQ(load_error(with("/model/attention", {{"type", "bahdanu"}}).dump()),
            "x.json: /model/attention/type: unknown \"bahdanu\"; known: none, bahdanau, global, local_m, local_p, hard, multi_head");
}

TEST(Experiment, UnknownKey) {
  EXPECT_EQ(load_error(with("/train/max_step", 3).dump()),
            "x.json: /train/max_step: unknown key; known: optimizer, schedule, batch_size, batch_tokens, max_steps, "
            "grad_accumulation, clip_norm, eval_every, log_every, early_stopping, non_finite");
}

TEST(Experiment, WrongType) {
  EXPECT_EQ(load_error(with("/model/hidden", "16").dump()),
            "x.json: /model/hidden: expected an integer, got a string \"16\"");
}

TEST(Experiment, OutOfRange) {
  EXPECT_EQ(load_error(with("/train/optimizer/lr", -1).dump()), "x.json: /train/optimizer/lr: must be > 0, got -1");
  EXPECT_EQ(load_error(with("/data/train_lengths", {9, 3}).dump()),
            "x.json: /data/train_lengths: must be [min, max] with min <= max");
}

TEST(Experiment, AnObjectWithoutTypeTunesTheDefaultType) {
  TempDir dir;
  write_text(dir.file("x.json"), with("/train/optimizer", {{"lr", 0.5}}).dump());
  const auto v = load_experiment(dir.file("x.json")).variants.at(0);
  EXPECT_EQ(v.options.train().optimizer().at("type"), "adam");
  EXPECT_EQ(v.options.train().optimizer().at("lr"), 0.5);
}

TEST(Experiment, RunRecordKeysSeedRepeatsAndDirectoryEscapesAreRejected) {
  EXPECT_EQ(load_error(with("/seed", 3).dump()),
            "x.json: /seed: unknown key; known: variants, name, description, task, data, model, train, eval, init, seeds, "
            "threads");
  EXPECT_EQ(load_error(with("/seeds", {1, 2, 1}).dump()), "x.json: /seeds/2: repeats seed 1");
  EXPECT_EQ(load_error(with("/name", "../../elsewhere").dump()),
            "x.json: /name: may hold only letters, digits, _ . - (it names a directory)");
}

TEST(Experiment, MissingRequiredSection) {
  json j = json::parse(kBase);
  j.erase("model");
  EXPECT_EQ(load_error(j.dump()), "x.json: /model: missing (required)");
}

TEST(Experiment, MissingFileAndInvalidJson) {
  EXPECT_EQ(load_error("{\"data\": }").substr(0, 33), "x.json: not valid JSON: parse err");
  try {
    load_experiment("/nonexistent/nothing.json");
    FAIL();
  } catch (const ExperimentError& e) {
    EXPECT_EQ(std::string(e.what()), "/nonexistent/nothing.json: cannot open file");
  }
}

TEST(Experiment, VariantsAreMergePatchesOverTheBase) {
  json j = json::parse(kBase);
  j["variants"] = json::parse(R"({
    "fixed": {},
    "attentive": {"model": {"attention": {"type": "bahdanau", "hidden": 8}}, "seeds": [7]},
    "no_clip": {"train": {"clip_norm": 0}, "model": {"hidden": null}}
  })");
  TempDir dir;
  write_text(dir.file("v.json"), j.dump());
  auto experiment = load_experiment(dir.file("v.json"));
  ASSERT_EQ(experiment.variants.size(), 3u);
  EXPECT_EQ(experiment.variants[0].name, "fixed");  // in the file's order
  EXPECT_EQ(experiment.variants[0].options.model().at("attention").at("type"), "none");
  EXPECT_EQ(experiment.variants[1].options.model().at("attention"), json::parse(R"({"type": "bahdanau", "hidden": 8})"));
  EXPECT_EQ(experiment.variants[1].options.seeds(), std::vector<int64_t>{7});
  EXPECT_EQ(experiment.variants[1].options.model().at("hidden"), 16);
  EXPECT_EQ(experiment.variants[2].options.train().clip_norm(), 0.0);
  EXPECT_EQ(experiment.variants[2].options.model().at("hidden"), 128);  // null removed it: the default
}

TEST(Experiment, ErrorsInAVariantPointIntoItsPatch) {
  json j = json::parse(kBase);
  j["variants"] = json::parse(R"({"ok": {}, "bad": {"model": {"attention": "luong"}}})");
  EXPECT_EQ(load_error(j.dump()), "x.json: /variants/bad/model/attention: unknown \"luong\"; known: none, bahdanau, global, local_m, local_p, hard, multi_head");
  j["variants"] = json::parse(R"({"ok": {}, "bad": {"model": {"attention": {"type": "none", "hidden": 3}}}})");
  EXPECT_EQ(load_error(j.dump()), "x.json: /variants/bad/model/attention/hidden: unknown key; known: type");
}

TEST(Experiment, VariantFilterAndSeedsOverride) {
  json j = json::parse(kBase);
  j["variants"] = json::parse(R"({"a": {}, "b": {}})");
  TempDir dir;
  write_text(dir.file("v.json"), j.dump());
  ExperimentOverrides overrides;
  overrides.variants = {"b"};
  overrides.seeds = 3;
  auto experiment = load_experiment(dir.file("v.json"), overrides);
  ASSERT_EQ(experiment.variants.size(), 1u);
  EXPECT_EQ(experiment.variants[0].name, "b");
  EXPECT_EQ(experiment.variants[0].options.seeds(), (std::vector<int64_t>{4, 5, 6}));
  overrides.seeds = 1;
  EXPECT_EQ(load_experiment(dir.file("v.json"), overrides).variants[0].options.seeds(), std::vector<int64_t>{4});
  overrides.variants = {"c"};
  EXPECT_EQ(load_error(j.dump(), overrides).substr(0, 40), "--variant c: unknown variant of /tmp/att");
}

TEST(Experiment, SetAppliesJsonOrStringAtAPointerAfterThePatch) {
  json j = json::parse(kBase);
  j["variants"] = json::parse(R"({"a": {"train": {"max_steps": 99}}})");
  TempDir dir;
  write_text(dir.file("v.json"), j.dump());
  ExperimentOverrides overrides;
  overrides.sets = {"/train/max_steps=3", "/model/attention={\"type\": \"bahdanau\"}", "/train/optimizer/type=sgd"};
  auto v = load_experiment(dir.file("v.json"), overrides).variants.at(0);
  EXPECT_EQ(v.options.train().max_steps(), 3);
  EXPECT_EQ(v.options.model().at("attention").at("type"), "bahdanau");
  EXPECT_EQ(v.options.train().optimizer().at("type"), "sgd");
  EXPECT_EQ(v.options.train().optimizer().at("momentum"), 0.9);

  overrides.sets = {"/train/max_steps=zero"};
  EXPECT_EQ(load_error(j.dump(), overrides),
            "x.json: /train/max_steps: expected an integer, got a string \"zero\" (set by --set /train/max_steps)");
  overrides.sets = {"/model/attention/type=bahdanau"};  // the base's attention is the string "none"
  EXPECT_EQ(load_error(j.dump(), overrides),
            "--set /model/attention/type: no such place: a value on the way is not an object (in variant \"a\")");
  overrides.sets = {"train/max_steps=3"};
  EXPECT_EQ(load_error(j.dump(), overrides), "--set train/max_steps=3: expected /json/pointer=VALUE");
}

}  // namespace
}  // namespace attnlab
