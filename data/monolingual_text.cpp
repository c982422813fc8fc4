#include "data/monolingual_text.h"

#include <cstdlib>

#include "core/special_tokens.h"
#include "data/text_files.h"

namespace attnlab {

const std::vector<TextSequence>& MonolingualData::split(const std::string& name) const {
  auto it = splits.find(name);
  TORCH_CHECK(it != splits.end(), "monolingual data: no split \"", name, "\"");
  return it->second;
}

std::vector<std::string> MonolingualData::split_names() const { return {"train", "valid", "test"}; }

TextSequenceBatch make_text_sequence_batch(const std::vector<TextSequence>& sequences,
                                           const std::vector<int64_t>& indices) {
  TORCH_CHECK(!indices.empty(), "text sequence batch: no sequences");
  size_t T = 0;
  for (int64_t i : indices) T = std::max(T, sequences.at(static_cast<size_t>(i)).ids.size());
  const auto B = static_cast<int64_t>(indices.size());
  auto ids = torch::full({B, static_cast<int64_t>(T)}, kPad, torch::kLong);  // [B, T]
  auto segments = torch::zeros({B, static_cast<int64_t>(T)}, torch::kLong);  // [B, T]
  auto word_start = torch::zeros({B, static_cast<int64_t>(T)}, torch::kBool);  // [B, T]
  auto id = ids.accessor<int64_t, 2>();
  auto segment = segments.accessor<int64_t, 2>();
  auto start = word_start.accessor<bool, 2>();
  for (int64_t b = 0; b < B; ++b) {
    const auto& s = sequences[static_cast<size_t>(indices[static_cast<size_t>(b)])];
    for (size_t t = 0; t < s.ids.size(); ++t) {
      id[b][t] = s.ids[t];
      segment[b][t] = s.segments[t];
      start[b][t] = s.word_start[t] != 0;
    }
  }
  return {ids, segments, word_start};
}

namespace {

/// A line's pieces (or a part of a line too long for one sequence).
struct Unit {
  std::vector<int64_t> ids;
  std::vector<uint8_t> word_start;
};

void append(TextSequence& s, int64_t id, int64_t segment, uint8_t word_start) {
  s.ids.push_back(id);
  s.segments.push_back(segment);
  s.word_start.push_back(word_start);
}

void append(TextSequence& s, const Unit& unit, int64_t segment) {
  for (size_t i = 0; i < unit.ids.size(); ++i) append(s, unit.ids[i], segment, unit.word_start[i]);
}

TextSequence sequence_of(const std::vector<Unit>& units, bool segment_pairs) {
  size_t split = units.size();  // units [0, split) are segment A
  if (segment_pairs && units.size() >= 2) {
    int64_t total = 0;
    for (const auto& u : units) total += static_cast<int64_t>(u.ids.size());
    int64_t prefix = 0, best_gap = -1;
    for (size_t k = 1; k < units.size(); ++k) {
      prefix += static_cast<int64_t>(units[k - 1].ids.size());
      const int64_t gap = std::abs(2 * prefix - total);
      if (best_gap < 0 || gap < best_gap) best_gap = gap, split = k;
    }
  }
  TextSequence s;
  append(s, kCls, 0, 1);
  for (size_t k = 0; k < split; ++k) append(s, units[k], 0);
  append(s, kSep, 0, 1);
  if (split < units.size()) {
    for (size_t k = split; k < units.size(); ++k) append(s, units[k], 1);
    append(s, kSep, 1, 1);
  }
  return s;
}

}  // namespace

std::vector<TextSequence> pack_lines(const std::vector<std::vector<int64_t>>& line_ids,
                                     const std::vector<std::vector<int64_t>>& line_words, int64_t max_length,
                                     bool segment_pairs) {
  TORCH_CHECK(line_ids.size() == line_words.size(), "pack_lines: ", line_ids.size(), " lines of ids but ",
              line_words.size(), " of words");
  const auto budget = static_cast<size_t>(max_length - (segment_pairs ? 3 : 2));  // pieces per sequence
  TORCH_CHECK(max_length >= 5, "pack_lines: max_length must be at least 5, got ", max_length);
  std::vector<TextSequence> sequences;
  std::vector<Unit> pending;
  size_t pending_size = 0;
  auto flush = [&] {
    if (!pending.empty()) sequences.push_back(sequence_of(pending, segment_pairs));
    pending.clear();
    pending_size = 0;
  };
  for (size_t line = 0; line < line_ids.size(); ++line) {
    const auto& ids = line_ids[line];
    const auto& words = line_words[line];
    TORCH_CHECK(ids.size() == words.size(), "pack_lines: line ", line, " has ", ids.size(), " ids but ",
                words.size(), " word indices");
    if (ids.empty()) continue;
    Unit unit;
    unit.ids = ids;
    for (size_t i = 0; i < ids.size(); ++i) unit.word_start.push_back(i == 0 || words[i] < 0 || words[i] != words[i - 1]);
    if (unit.ids.size() > budget) {  // too long: cut into sequences of its own
      flush();
      for (size_t from = 0; from < unit.ids.size(); from += budget) {
        const size_t to = std::min(unit.ids.size(), from + budget);
        Unit part{{unit.ids.begin() + from, unit.ids.begin() + to},
                  {unit.word_start.begin() + from, unit.word_start.begin() + to}};
        sequences.push_back(sequence_of({part}, segment_pairs));
      }
      continue;
    }
    if (pending_size + unit.ids.size() > budget) flush();
    pending_size += unit.ids.size();
    pending.push_back(std::move(unit));
  }
  flush();
  return sequences;
}

std::shared_ptr<MonolingualData> make_monolingual_text_data(const MonolingualTextOptions& o,
                                                            const DataContext& context) {
  // Every file is read (and checked) before a tokenizer is trained or stored.
  const std::vector<std::pair<std::string, std::string>> files = {
      {"train", o.files().train}, {"valid", o.files().valid}, {"test", o.files().test}};
  std::map<std::string, std::vector<std::string>> lines;
  for (const auto& [split, path] : files) lines[split] = read_text_lines(path);

  auto data = std::make_shared<MonolingualData>();
  data->max_length = o.max_length();
  data->tokenizer = obtain_tokenizer(o.tokenizer(), tokenizer_key(write_options(o), {o.files().train}),
                                     [&] { return lines["train"]; }, context);
  for (const auto& [split, path] : files) {
    std::vector<std::vector<int64_t>> ids, words;
    for (const auto& line : lines[split]) {
      ids.push_back(data->tokenizer->encode(line));
      words.push_back(data->tokenizer->word_of_piece(line));
    }
    data->splits[split] = pack_lines(ids, words, o.max_length(), o.segment_pairs());
    if (data->splits[split].empty())
      throw DataFileError(path, 0, "no line encodes to any token: nothing to train or evaluate a masked LM on");
  }
  return data;
}

}  // namespace attnlab
