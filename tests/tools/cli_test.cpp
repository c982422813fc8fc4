// The attnlab binary, run as a user runs it.

#include <random>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "tests/test_support.h"
#include "tests/tools/cli_support.h"
#include "training/blas_kernels.h"
#include "training/checkpoint.h"
#include "training/experiment.h"
#include "training/runner.h"

namespace attnlab {
namespace {

namespace fs = std::filesystem;
using test_util::attnlab_cli;
using test_util::checkpoint_weights;
using test_util::CliResult;
using test_util::quote;
using test_util::read_text;
using test_util::run_and_signal;
using test_util::TempDir;
using test_util::write_numeral_corpus;
using test_util::write_text;

using test_util::kTinyExperiment;

TEST(Cli, VersionHelpAndList) {
  TempDir dir;
  auto version = attnlab_cli("--version", dir);
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("attnlab ", 0), 0u);
  for (const char* command :
       {"run", "validate", "eval", "decode", "translate", "tokenizer", "classify", "list", "train-run", "doctor", "bench", "bench attention", "bench model"}) {
    auto help = attnlab_cli(std::string(command) + " --help", dir);
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_NE(help.out.find("Example:\n  attnlab " + std::string(command)), std::string::npos) << help.out;
  }
  auto list = attnlab_cli("list", dir);
  EXPECT_EQ(list.exit_code, 0);
  for (const char* line : {"attention:", "  none ", "  bahdanau ", "  local_m ", "  local_p ", "  hard ", "  multi_head ",
                           "scope:", "score:", "  cosine ", "model:", "  transformer ", "decoder style",
                           "  luong ", "task:", "tokenizer:", "optimizer:", "  adamw ", "schedule:", "  inverse_sqrt "})
    EXPECT_NE(list.out.find(line), std::string::npos) << line;
  auto unknown = attnlab_cli("frobnicate", dir);
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown command \"frobnicate\""), std::string::npos);
  auto no_file = attnlab_cli("run", dir);
  EXPECT_EQ(no_file.exit_code, 2);
  EXPECT_EQ(no_file.err, "attnlab run: missing EXPERIMENT.json (see attnlab run --help)\n");
  auto bad_flag = attnlab_cli("run --bogus x.json", dir);
  EXPECT_EQ(bad_flag.exit_code, 2);
  EXPECT_NE(bad_flag.err.find("bogus"), std::string::npos);
}

// doctor names the kernels and who chose them; a core the environment names is never overridden.
TEST(EndToEnd, DoctorReportsTheKernelsAndKeepsTheEnvironmentsChoice) {
  TempDir dir;
  const BlasKernels here = blas_kernels();
  if (here.core.empty()) GTEST_SKIP() << "not OpenBLAS (" << here.library << ")";
  const std::string fresh = "-u OPENBLAS_CORETYPE -u ATTNLAB_BLAS_CORE_SELECTED -u GLIBC_TUNABLES";
  auto chosen = attnlab_cli("doctor --size 64 --repeats 1 --threads 2", dir, "/dev/null", fresh);
  ASSERT_EQ(chosen.exit_code, 0) << chosen.err;
  for (const char* row : {"BLAS            OpenBLAS", "kernels         ", "GEMM 1 thread   ", "GEMM 2 threads  ",
                          "freed memory    blocks up to 256 MiB kept for reuse, the heap never trimmed (attnlab's setting"})
    EXPECT_NE(chosen.out.find(row), std::string::npos) << row << " in\n" << chosen.out;
  // A user's malloc tunables win, and doctor says they are in charge.
  auto tuned = attnlab_cli("doctor --size 8 --repeats 1 --threads 1", dir, "/dev/null",
                           fresh + " GLIBC_TUNABLES=glibc.malloc.trim_threshold=268435456");
  ASSERT_EQ(tuned.exit_code, 0) << tuned.err;
  EXPECT_NE(tuned.out.find("freed memory    as GLIBC_TUNABLES=glibc.malloc.trim_threshold=268435456 says\n"),
            std::string::npos)
      << tuned.out;
  if (!here.best_core.empty() && (here.coretype_env.empty() || here.selected_by_attnlab)) {
    // Whatever OpenBLAS picks by itself on this machine, the child runs the best kernels.
    EXPECT_NE(chosen.out.find("kernels         " + here.core + " ("), std::string::npos) << chosen.out;
  }
  if (here.best_core.empty()) return;  // no AVX2: no other kernels to ask for
  auto kept = attnlab_cli("doctor --size 64 --repeats 1 --threads 1", dir, "/dev/null", fresh + " OPENBLAS_CORETYPE=Haswell");
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_NE(kept.out.find("kernels         Haswell (OPENBLAS_CORETYPE=Haswell from the environment, left as it is)"),
            std::string::npos)
      << kept.out;
  EXPECT_EQ(kept.out.find("GEMM 2 threads"), std::string::npos) << kept.out;
}

// The benchmarks print figures; here only that each runs at tiny sizes and prints its rows.
TEST(EndToEnd, BenchmarksRunAtTinySizesAndRejectBadArguments) {
  TempDir dir;
  auto model = attnlab_cli(
      "bench model --batch 2 --length 3 --vocab 12 --sentences 3 --beam 2 --repeats 1 --threads 1 --bert-length 5 "
      "--profile " + quote(dir.file("trace")), dir);
  ASSERT_EQ(model.exit_code, 0) << model.err;
  auto count_events = [&](const std::string& file, const std::vector<std::string>& names) {
    const auto trace = json::parse(read_text(dir.file(file)));
    const auto& events = trace.is_object() ? trace.at("traceEvents") : trace;
    int count = 0;
    for (const auto& event : events)
      count += std::find(names.begin(), names.end(), event.value("name", std::string())) != names.end();
    return count;
  };
  for (const std::string name : {"transformer", "rnn_bahdanau"}) {
    // One training step traced: one readout; one greedy batch of 3 tokens: a max over the logits
    // per token and no log-softmax (greedy takes the argmax of the logits).
    EXPECT_EQ(count_events("trace." + name + ".json", {"aten::_log_softmax"}), 1) << name;
    EXPECT_GT(count_events("trace." + name + ".json", {"aten::mm", "aten::addmm"}), 10) << name;
    EXPECT_EQ(count_events("trace." + name + ".greedy.json", {"aten::max"}), 3) << name;
    EXPECT_EQ(count_events("trace." + name + ".greedy.json", {"aten::_log_softmax"}), 0) << name;
  }
  for (const char* row : {"\ntransformer ", "\nrnn_bahdanau ", "\nbert "}) EXPECT_NE(model.out.find(row), std::string::npos) << model.out;
  EXPECT_NE(model.out.find("4 sentences of exactly 3 tokens"), std::string::npos) << model.out;  // whole batches
  EXPECT_NE(model.out.find("GFLOP/s  % of GEMM"), std::string::npos) << model.out;  // counted FLOPs per second
  auto attention =
      attnlab_cli("bench attention --lengths 4,8 --batch 2 --dims 16 --repeats 1 --threads 1 --only local_m", dir);
  ASSERT_EQ(attention.exit_code, 0) << attention.err;
  EXPECT_NE(attention.out.find("local_m dot"), std::string::npos) << attention.out;
  EXPECT_NE(attention.out.find("time(T=8) / time(T=4)"), std::string::npos) << attention.out;

  auto exported = attnlab_cli("bench export --batch 2 --length 3 --vocab 12 --beam 2 --repeats 1 --threads 1", dir);
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  for (const char* row : {"\ntransformer   greedy", "\ntransformer   beam2", "\nrnn_bahdanau  greedy", "\nhan "})
    EXPECT_NE(exported.out.find(row), std::string::npos) << exported.out;

  auto parallel = attnlab_cli("bench data-parallel --batch 4 --length 3 --vocab 12 --steps 2 --repeats 1", dir);
  ASSERT_EQ(parallel.exit_code, 0) << parallel.err;
  for (const char* row : {"\n1 process x 1 thread ", "\n1 process x 2 threads ", "\n2 processes x 1 thread ", "\nEstimate for 8"})
    EXPECT_NE(parallel.out.find(row), std::string::npos) << parallel.out;

  auto missing = attnlab_cli("bench", dir);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err,
            "attnlab bench: missing the benchmark: attention, model, export or data-parallel (see attnlab bench --help)\n");
  auto unknown = attnlab_cli("bench speed", dir);
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown benchmark \"speed\"; known: attention, model, export, data-parallel"), std::string::npos);
  auto bad_length = attnlab_cli("bench model --length 1", dir);
  EXPECT_EQ(bad_length.exit_code, 2);
  EXPECT_EQ(bad_length.err, "attnlab bench model: --length must be at least 2 (see attnlab bench model --help)\n");
}

TEST(EndToEnd, BenchModelPeerTimesTheSameModelsInPython) {
  TempDir dir;
  const std::string tiny = "bench model --batch 2 --length 3 --vocab 12 --sentences 2 --beam 2 --repeats 1 --threads 1 ";
  auto run = attnlab_cli(tiny + "--only transformer,rnn --peer --python " + quote(ATTNLAB_TORCH_PYTHON), dir);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const char* row : {"\ntransformer   peer, default ", "\ntransformer   peer, same settings ",
                          "\ntransformer   peer, same + malloc ", "\nrnn_bahdanau  peer, default ",
                          "\nrnn_bahdanau  peer, same settings ", "\nrnn_bahdanau  peer, same + malloc "})
    EXPECT_NE(run.out.find(row), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("attnlab/peer: train"), std::string::npos) << run.out;

  // The default peer given other kernels: its row names the core its OpenBLAS reports.
  auto fallback = attnlab_cli(tiny + "--only rnn --peer --peer-default-core Prescott --python " +
                                  quote(ATTNLAB_TORCH_PYTHON), dir);
  ASSERT_EQ(fallback.exit_code, 0) << fallback.err;
  EXPECT_NE(fallback.out.find("\nrnn_bahdanau  peer, default               1  Prescott "), std::string::npos)
      << fallback.out;
  for (const std::string& bad : {std::string("--only rnn --peer-default-core Prescott"),
                                 std::string("--only rnn --peer --peer-default-core 'Sky lake'")}) {
    auto refused = attnlab_cli(tiny + bad, dir);
    EXPECT_EQ(refused.exit_code, 2) << bad;
    EXPECT_TRUE(refused.out.empty()) << refused.out;
    EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1) << refused.err;
    EXPECT_EQ(refused.err.rfind("attnlab bench model: --peer-default-core ", 0), 0) << refused.err;
  }

  // The peer refuses to time a model of another size than attnlab's.
  const std::string err = dir.file("peer.err");
  const std::string command = std::string(ATTNLAB_TORCH_PYTHON) + " " + ATTNLAB_SOURCE_DIR +
                              "/tools/python/bench_peer.py --model rnn_bahdanau --vocab 12 --batch 2 --length 3 "
                              "--sentences 2 --repeats 1 --expect-parameters 5 > /dev/null 2> " + quote(err);
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(read_text(err).find("parameters, attnlab's 5: not the same model"), std::string::npos) << read_text(err);

  // A peer that cannot start: one line of attnlab's, exit 2.
  auto missing = attnlab_cli(tiny + "--only rnn --peer --python " + quote(ATTNLAB_TORCH_PYTHON) + " --peer-script " +
                                 quote(dir.file("missing.py")),
                             dir);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("attnlab bench model: the Python peer ("), std::string::npos) << missing.err;
}

TEST(EndToEnd, TypoGivesOnePointerLineExitTwoAndNoRunDirectory) {
  TempDir dir;
  json experiment = json::parse(kTinyExperiment);
  experiment["variants"]["bahdanau"]["model"]["attention"]["type"] = "bahdanu";
  write_text(dir.file("x.json"), experiment.dump(2));
  const std::string out = dir.file("runs");
  for (const std::string& command : {"run --out " + quote(out), std::string("validate")}) {
    auto result = attnlab_cli(command + " " + quote(dir.file("x.json")), dir);
    EXPECT_EQ(result.exit_code, 2) << command;
    EXPECT_EQ(result.err, dir.file("x.json") +
                              ": /variants/bahdanau/model/attention/type: unknown \"bahdanu\"; known: none, bahdanau, global, local_m, local_p, hard, multi_head\n")
        << command;
    EXPECT_FALSE(fs::exists(out)) << command;
  }
  // A metric the model cannot give is caught before training too.
  experiment["variants"]["bahdanau"]["model"]["attention"]["type"] = "bahdanau";
  experiment["train"]["early_stopping"]["metric"] = "alignment_accuracy";
  write_text(dir.file("x.json"), experiment.dump(2));
  auto no_attention = attnlab_cli("run --out " + quote(out) + " " + quote(dir.file("x.json")), dir);
  EXPECT_EQ(no_attention.exit_code, 2);
  EXPECT_EQ(no_attention.err.find(dir.file("x.json") + ": /train/early_stopping/metric: \"alignment_accuracy\" is "
                                                      "not a validation metric of this model; known: loss, ppl,"),
            0u)
      << no_attention.err;
  EXPECT_FALSE(fs::exists(out));

  auto missing = attnlab_cli("run " + quote(dir.file("nope.json")), dir);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, dir.file("nope.json") + ": cannot open file\n");
}

TEST(EndToEnd, TinyExperimentTrainsEvaluatesAndWritesTheTable) {
  TempDir dir;
  write_text(dir.file("tiny.json"), kTinyExperiment);
  const std::string out = dir.file("runs");
  auto result = attnlab_cli("run " + quote(dir.file("tiny.json")) + " --out " + quote(out), dir);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("| none | 2 |"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("| bahdanau | 2 |"), std::string::npos) << result.out;
  for (const char* file : {"results.csv", "summary.md"}) EXPECT_TRUE(fs::exists(fs::path(out) / "tiny" / file));
  EXPECT_EQ(read_text((fs::path(out) / "tiny" / "summary.md").string()).find("# tiny"), 0u);

  for (const char* variant : {"none", "bahdanau"}) {
    for (int seed : {1, 2}) {
      const fs::path run = fs::path(out) / "tiny" / variant / ("seed-" + std::to_string(seed));
      for (const char* file : {"config.json", "metrics.jsonl", "results.json", "checkpoints/latest.pt",
                               "checkpoints/best.pt"})
        EXPECT_TRUE(fs::exists(run / file)) << run / file;
      const json config = json::parse(read_text((run / "config.json").string()));
      EXPECT_EQ(config.at("schema_version"), kConfigSchemaVersion);
      EXPECT_EQ(config.at("seed"), seed);
      EXPECT_EQ(config.at("model").at("attention").at("type"), variant);
      const json results = json::parse(read_text((run / "results.json").string()));
      EXPECT_EQ(results.at("steps"), 40);
      EXPECT_GT(results.at("parameters").get<int64_t>(), 0);
      EXPECT_EQ(results.at("metrics").at("test").contains("alignment_accuracy"), std::string(variant) == "bahdanau");
    }
  }

  // eval re-evaluates the best checkpoint: the same figures as results.json.
  const fs::path run = fs::path(out) / "tiny" / "bahdanau" / "seed-1";
  auto eval = attnlab_cli("eval " + quote(run.string()) + " --split test", dir);
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  const json evaluated = json::parse(eval.out);
  const json recorded = json::parse(read_text((run / "results.json").string()))["metrics"];
  EXPECT_DOUBLE_EQ(evaluated["test"]["exact_match"].get<double>(), recorded["test"]["exact_match"].get<double>());
  EXPECT_DOUBLE_EQ(evaluated["test"]["loss"].get<double>(), recorded["test"]["loss"].get<double>());

  // Attention maps of the first test examples, for the model with attention only.
  EXPECT_TRUE(fs::exists(run / "attention" / "test-0.json"));
  EXPECT_TRUE(fs::exists(run / "attention" / "test-2.svg"));
  EXPECT_FALSE(fs::exists(fs::path(out) / "tiny" / "none" / "seed-1" / "attention"));

  // decode: one output line per input line (an empty input gives an empty output) ...
  write_text(dir.file("sources.txt"), "1 2 3\n\n0 1 2 3\n");
  auto decoded = attnlab_cli("decode " + quote(run.string()) + " --beam 3", dir, dir.file("sources.txt"));
  ASSERT_EQ(decoded.exit_code, 0) << decoded.err;
  ASSERT_EQ(std::count(decoded.out.begin(), decoded.out.end(), '\n'), 3) << decoded.out;
  EXPECT_EQ(decoded.out.find("\n\n"), decoded.out.find('\n'));  // the second line is empty
  // ... or the n best with their scores, best first, and a blank line after each input.
  auto nbest = attnlab_cli("decode " + quote(run.string()) + " --beam 3 --n-best 2", dir, dir.file("sources.txt"));
  ASSERT_EQ(nbest.exit_code, 0) << nbest.err;
  std::istringstream lines(nbest.out);
  std::string first, second;
  std::getline(lines, first);
  std::getline(lines, second);
  ASSERT_EQ(first.rfind("1\t", 0), 0u) << nbest.out;
  ASSERT_EQ(second.rfind("2\t", 0), 0u) << nbest.out;
  EXPECT_GE(std::stod(first.substr(2)), std::stod(second.substr(2)));
  auto bad_beam = attnlab_cli("decode " + quote(run.string()) + " --beam 0", dir, dir.file("sources.txt"));
  EXPECT_EQ(bad_beam.exit_code, 2);
  EXPECT_NE(bad_beam.err.find("--beam >= 1"), std::string::npos) << bad_beam.err;

  // Two runs at a time, each in a worker process, give the same figures (one thread each).
  const std::string parallel_out = dir.file("parallel");
  auto parallel = attnlab_cli("run " + quote(dir.file("tiny.json")) + " --out " + quote(parallel_out) + " --jobs 2", dir);
  ASSERT_EQ(parallel.exit_code, 0) << parallel.err;
  for (const char* variant : {"none", "bahdanau"}) {
    for (const char* seed : {"seed-1", "seed-2"}) {
      const json a = json::parse(read_text((fs::path(out) / "tiny" / variant / seed / "results.json").string()));
      const json b = json::parse(read_text((fs::path(parallel_out) / "tiny" / variant / seed / "results.json").string()));
      EXPECT_EQ(a["metrics"], b["metrics"]) << variant << " " << seed;
    }
  }

  // The run directories are a record: a second run refuses to overwrite them ...
  auto again = attnlab_cli("run " + quote(dir.file("tiny.json")) + " --out " + quote(out), dir);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("exists; pass --resume"), std::string::npos) << again.err;
  // ... and --resume keeps the finished runs and prints the table again.
  auto resumed = attnlab_cli("run " + quote(dir.file("tiny.json")) + " --out " + quote(out) + " --resume", dir);
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("finished earlier"), std::string::npos);
  EXPECT_NE(resumed.out.find("| bahdanau | 2 |"), std::string::npos);
}


TEST(EndToEnd, TokenizerTrainEncodeDecodeFromTheShell) {
  TempDir dir;
  write_numeral_corpus(dir);
  std::istringstream pairs(read_text(dir.file("train.tsv")));
  std::string text;  // the Spanish side, a sentence per line
  for (std::string line; std::getline(pairs, line);) text += line.substr(0, line.find('\t')) + "\n";
  write_text(dir.file("es.txt"), text);

  auto trained = attnlab_cli("tokenizer train --input " + quote(dir.file("es.txt")) + " --type bpe --vocab-size 40 --out " +
                                 quote(dir.file("tok")), dir);
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  EXPECT_EQ(trained.err, "");  // the SentencePiece trainer's log is held back when it succeeds
  EXPECT_NE(trained.out.find("40 pieces"), std::string::npos) << trained.out;
  EXPECT_TRUE(fs::exists(dir.file("tok/tokenizer.model")));

  write_text(dir.file("input.txt"), "siete ocho uno\ndos\n");
  auto ids = attnlab_cli("tokenizer encode --ids --model " + quote(dir.file("tok")), dir, dir.file("input.txt"));
  ASSERT_EQ(ids.exit_code, 0) << ids.err;
  write_text(dir.file("ids.txt"), ids.out);
  auto decoded = attnlab_cli("tokenizer decode --model " + quote(dir.file("tok")), dir, dir.file("ids.txt"));
  ASSERT_EQ(decoded.exit_code, 0) << decoded.err;
  EXPECT_EQ(decoded.out, "siete ocho uno\ndos\n");

  // Bad input: one line naming the file and line, exit 2, nothing written.
  write_text(dir.file("bad.txt"), "uno\ndos \xff\n");
  auto bad = attnlab_cli("tokenizer train --input " + quote(dir.file("bad.txt")) + " --out " + quote(dir.file("tok2")), dir);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err, "attnlab tokenizer train: " + dir.file("bad.txt") + ":2: invalid UTF-8 at byte 5\n");
  EXPECT_FALSE(fs::exists(dir.file("tok2")));
  auto taken = attnlab_cli("tokenizer train --input " + quote(dir.file("es.txt")) + " --out " + quote(dir.file("tok")), dir);
  EXPECT_EQ(taken.exit_code, 2);
  EXPECT_EQ(taken.err, "attnlab tokenizer train: " + dir.file("tok") + ": already exists; choose a new --out directory\n");
}

TEST(EndToEnd, TranslationOnTextFilesReportsBleuChrfAerAndKeepsItsTokenizer) {
  TempDir dir;
  write_numeral_corpus(dir);
  const json experiment = {
      {"name", "numerals"},
      {"data", {{"type", "parallel_text"}, {"train", dir.file("train.tsv")}, {"valid", dir.file("valid.tsv")},
                {"test", dir.file("test.tsv")}, {"valid_alignments", dir.file("valid.align")},
                {"test_alignments", dir.file("test.align")},
                {"tokenizer", {{"type", "sentencepiece"}, {"vocab_size", 32}}}}},
      {"model", {{"type", "rnn_seq2seq"}, {"embedding", 8}, {"hidden", 16}, {"attention", "bahdanau"}}},
      {"train", {{"optimizer", {{"type", "adam"}, {"lr", 0.01}}}, {"batch_size", 16}, {"max_steps", 30},
                 {"eval_every", 15}, {"early_stopping", {{"metric", "bleu"}}}}},
      {"eval", {{"beam", 2}}},
      {"seeds", {1}},
      {"threads", 1},
      {"variants", {{"bahdanau", json::object()}, {"none", {{"model", {{"attention", "none"}}}}}}}};
  write_text(dir.file("numerals.json"), experiment.dump(2));
  const std::string out = dir.file("runs");
  auto result = attnlab_cli("run " + quote(dir.file("numerals.json")) + " --out " + quote(out), dir);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("| variant | seeds | params | bleu | chrf | ppl | aer | aer_diagonal |"), std::string::npos)
      << result.out;

  const fs::path run = fs::path(out) / "numerals" / "bahdanau" / "seed-1";
  const json test = json::parse(read_text((run / "results.json").string()))["metrics"]["test"];
  for (const char* metric : {"bleu", "chrf", "aer", "aer_diagonal"}) {
    ASSERT_TRUE(test.contains(metric)) << metric;
    EXPECT_GE(test[metric].get<double>(), 0.0) << metric;
    EXPECT_LE(test[metric].get<double>(), 100.0) << metric;
  }
  EXPECT_GT(test["aer_diagonal"].get<double>(), 0.5);  // reversed order: the diagonal is mostly wrong
  const json none = json::parse(read_text((fs::path(out) / "numerals" / "none" / "seed-1" / "results.json").string()));
  EXPECT_FALSE(none["metrics"]["test"].contains("aer"));  // no attention, no attention AER

  // The run keeps its tokenizer (a SentencePiece model spm_encode reads), shared by the variants.
  EXPECT_TRUE(fs::exists(run / "tokenizer" / "tokenizer.model"));
  EXPECT_EQ(read_text((run / "tokenizer" / "tokenizer.model").string()),
            read_text((fs::path(out) / "numerals" / "none" / "seed-1" / "tokenizer" / "tokenizer.model").string()));
  write_text(dir.file("input.txt"), "tres uno dos\n");
  auto encoded = attnlab_cli("tokenizer encode --model " + quote((run / "tokenizer").string()), dir, dir.file("input.txt"));
  ASSERT_EQ(encoded.exit_code, 0) << encoded.err;
  std::string joined = encoded.out;  // the pieces, whatever the vocabulary made of the words
  joined.erase(std::remove(joined.begin(), joined.end(), ' '), joined.end());
  EXPECT_EQ(joined, "\u2581tres\u2581uno\u2581dos\n");
  auto translated = attnlab_cli("translate " + quote(run.string()) + " --beam 2", dir, dir.file("input.txt"));
  ASSERT_EQ(translated.exit_code, 0) << translated.err;
  EXPECT_EQ(std::count(translated.out.begin(), translated.out.end(), '\n'), 1) << translated.out;

  // A bad line in a corpus file: one line naming file:line, nothing trained.
  write_text(dir.file("valid.tsv"), "uno\tone\nno tab\n");
  auto bad = attnlab_cli("run " + quote(dir.file("numerals.json")) + " --out " + quote(dir.file("other")), dir);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find(dir.file("valid.tsv") + ":2: no tab; expected source<TAB>target"), std::string::npos) << bad.err;
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
  // The trained run reads its corpus again: the same line, with the run named, is bad input.
  auto eval = attnlab_cli("eval " + quote(run.string()), dir);
  EXPECT_EQ(eval.exit_code, 2);
  EXPECT_EQ(eval.err.rfind(run.string() + ": its data: " + dir.file("valid.tsv") + ":2: no tab", 0), 0u) << eval.err;
  EXPECT_EQ(std::count(eval.err.begin(), eval.err.end(), '\n'), 1) << eval.err;
}

/// A run stopped one way or another and resumed must end with the weights of a run never stopped.
class EndToEndStopAndResume : public ::testing::Test {
 protected:
  void SetUp() override {
    json experiment = json::parse(kTinyExperiment);
    experiment["train"]["max_steps"] = 400;
    experiment["train"]["log_every"] = 5;
    experiment.erase("variants");
    experiment["model"]["attention"] = {{"type", "bahdanau"}, {"hidden", 8}};
    write_text(experiment_path, experiment.dump());
    auto uninterrupted = attnlab_cli("run " + quote(experiment_path) + " --out " + quote(whole), dir);
    ASSERT_EQ(uninterrupted.exit_code, 0) << uninterrupted.err;
  }
  fs::path run_dir(const std::string& out, int seed) const {
    return fs::path(out) / "e" / "default" / ("seed-" + std::to_string(seed));
  }
  void expect_resume_matches_whole(const std::string& extra = "") {
    auto resumed = attnlab_cli("run " + quote(experiment_path) + " --out " + quote(split) + " --resume" + extra, dir);
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    for (int seed : {1, 2}) {
      const auto a = checkpoint_weights(run_dir(whole, seed)), b = checkpoint_weights(run_dir(split, seed));
      ASSERT_EQ(a.size(), b.size());
      ASSERT_FALSE(a.empty());
      for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "seed " << seed << " parameter " << i;
    }
  }

  TempDir dir;
  const std::string experiment_path = dir.file("e.json"), whole = dir.file("whole"), split = dir.file("split"),
                    log = dir.file("spawned.err");
};

TEST_F(EndToEndStopAndResume, SigintWritesACheckpointAndExits130) {
  const int status = run_and_signal({"run", experiment_path, "--out", split}, run_dir(split, 1) / "metrics.jsonl",
                                    "\"step\":10,", SIGINT, log);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 130) << read_text(log);
  EXPECT_TRUE(fs::exists(run_dir(split, 1) / "checkpoints" / "latest.pt"));
  EXPECT_FALSE(fs::exists(run_dir(split, 1) / "results.json"));
  EXPECT_FALSE(fs::exists(run_dir(split, 2) / "metrics.jsonl"));  // the next run never started
  EXPECT_NE(read_text(log).find("Continue with --resume"), std::string::npos);
  expect_resume_matches_whole();
}

TEST_F(EndToEndStopAndResume, SigkillAfterAnEvaluationResumesFromItsCheckpoint) {
  // Killed at once, no checkpoint on the way out: the latest one is the first evaluation's.
  const int status = run_and_signal({"run", experiment_path, "--out", split},
                                    run_dir(split, 1) / "checkpoints" / "latest.pt", "", SIGKILL, log);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_TRUE(fs::exists(run_dir(split, 1) / "checkpoints" / "latest.pt"));
  expect_resume_matches_whole();
}

TEST_F(EndToEndStopAndResume, SigintStopsEveryParallelWorker) {
  const int status = run_and_signal({"run", experiment_path, "--out", split, "--jobs", "2"},
                                    run_dir(split, 2) / "metrics.jsonl", "\"step\":10,", SIGINT, log);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 130) << read_text(log);
  for (int seed : {1, 2}) {
    EXPECT_TRUE(fs::exists(run_dir(split, seed) / "checkpoints" / "latest.pt")) << seed;
    EXPECT_FALSE(fs::exists(run_dir(split, seed) / "results.json")) << seed;
  }
  expect_resume_matches_whole(" --jobs 2");
}

}  // namespace
}  // namespace attnlab
