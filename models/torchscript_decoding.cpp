#include "models/torchscript_decoding.h"

#include <regex>

namespace attnlab {

namespace {

// Mirrors greedy_decode and beam_search of models/decoding.cpp; keep the three in step.
const char* const kSource = R"TORCHSCRIPT(
def greedy(self, src: Tensor, src_lengths: Tensor, max_length: int) -> Tuple[Tensor, Tensor, Tensor]:
    state = self.encode(src, src_lengths)
    previous = torch.full_like(src_lengths, BOS)
    finished = src_lengths.lt(0)
    lengths = torch.full_like(src_lengths, max_length)
    tokens: List[Tensor] = []
    weights: List[Tensor] = []
    for t in range(max_length):
        step = self.decode_step(previous, state)
        predicted = step[0].argmax(-1).masked_fill(finished, PAD)
        ends_now = predicted.eq(EOS) & finished.logical_not()
        lengths = torch.where(ends_now, torch.full_like(lengths, t), lengths)
        finished = finished | ends_now
        tokens.append(predicted)
        weights.append(step[1])
        previous = predicted
        state = step[2]
        if bool(finished.all()):
            break
    return torch.stack(tokens, 1), lengths, torch.stack(weights, 1)

def length_penalty(self, length: int, alpha: float) -> float:
    if alpha == 0.0:
        return 1.0
    return ((5.0 + float(length)) / 6.0) ** alpha

def beam_search(self, src: Tensor, src_lengths: Tensor, beam: int, max_length_a: float, max_length_b: int,
                alpha: float, n_best: int) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    # Log-probabilities stay in float64 tensors: TorchScript 1.13 rounds a float made into a
    # tensor (torch.tensor(List[float]), t[i] = x) to float32. Host decisions read exact
    # doubles through tolist().
    B = src.size(0)
    K = beam
    minus_inf = float("-inf")
    source_lengths: List[int] = src_lengths.tolist()
    max_length: List[int] = []
    longest = 0
    for b in range(B):
        limit = torch.ceil(max_length_a * float(source_lengths[b])) + max_length_b
        if limit < 1:
            limit = 1
        max_length.append(limit)
        if limit > longest:
            longest = limit

    state = self.encode(src, src_lengths)
    state = self.reorder_state(state, torch.arange(B).repeat_interleave(K))
    beams: List[List[List[int]]] = []
    done: List[bool] = []
    finished_tokens: List[List[List[int]]] = []
    finished_score: List[List[float]] = []
    finished_score_tensor: List[List[Tensor]] = []
    finished_log_prob: List[List[Tensor]] = []
    finished_ended: List[List[bool]] = []
    finished_attention: List[List[Tensor]] = []
    for b in range(B):
        sentence_beams: List[List[int]] = []
        for k in range(K):
            no_tokens: List[int] = []
            sentence_beams.append(no_tokens)
        beams.append(sentence_beams)
        done.append(False)
        no_hypotheses: List[List[int]] = []
        finished_tokens.append(no_hypotheses)
        no_scores: List[float] = []
        finished_score.append(no_scores)
        no_score_tensors: List[Tensor] = []
        finished_score_tensor.append(no_score_tensors)
        no_log_probs: List[Tensor] = []
        finished_log_prob.append(no_log_probs)
        no_ends: List[bool] = []
        finished_ended.append(no_ends)
        no_attention: List[Tensor] = []
        finished_attention.append(no_attention)
    # Beam k of sentence b: its summed log-probability; only beam 0 is alive at first.
    beam_log_prob = torch.full([B, K], minus_inf, dtype=src_lengths.double().dtype)
    beam_log_prob[:, 0] = 0.0
    previous = torch.full_like(torch.arange(B * K), BOS)
    history = torch.zeros([0])

    for t in range(longest):
        step = self.decode_step(previous, state)
        log_probs = step[0]
        if t == 0:
            history = step[1].unsqueeze(1).narrow(1, 0, 0)
        with_step = torch.cat([history, step[1].unsqueeze(1)], 1)
        V = log_probs.size(1)
        totals = log_probs.double().view([B, K, V]) + beam_log_prob.view([B, K, 1])
        candidates = 2 * K
        if candidates > K * V:
            candidates = K * V
        top = totals.view([B, K * V]).topk(candidates, -1)
        top_values = top[0]
        values: List[List[float]] = top_values.tolist()
        indices: List[List[int]] = top[1].tolist()

        origin_rows: List[int] = []
        next_tokens: List[int] = []
        chosen: List[int] = []  # the candidate (b x candidates + c) each next beam continues, -1 for none
        for r in range(B * K):
            origin_rows.append(0)
            next_tokens.append(PAD)
            chosen.append(-1)
        next_beams: List[List[List[int]]] = []
        for b in range(B):
            kept_beams: List[List[int]] = []
            for k in range(K):
                no_tokens: List[int] = []
                kept_beams.append(no_tokens)
            kept = 0
            c = 0
            while c < candidates and not done[b] and kept < K:
                value = values[b][c]
                if value == minus_inf:
                    break
                origin = indices[b][c] // V
                token = indices[b][c] % V
                c += 1
                if token == EOS:
                    penalty = self.length_penalty(t + 1, alpha)
                    finished_tokens[b].append(beams[b][origin])
                    finished_score[b].append(value / penalty)
                    finished_score_tensor[b].append(top_values[b, c - 1] / penalty)
                    finished_log_prob[b].append(top_values[b, c - 1])
                    finished_ended[b].append(True)
                    finished_attention[b].append(with_step[b * K + origin])
                    continue
                kept_beams[kept] = beams[b][origin] + [token]
                origin_rows[b * K + kept] = b * K + origin
                next_tokens[b * K + kept] = token
                chosen[b * K + kept] = b * candidates + c - 1
                kept += 1
            for k in range(kept, K):
                origin_rows[b * K + k] = b * K
            if not done[b] and (len(finished_score[b]) >= K or t + 1 >= max_length[b]):
                done[b] = True
                # At the length limit the beams still alive count as hypotheses too (without EOS).
                if len(finished_score[b]) < K:
                    penalty = self.length_penalty(t + 1, alpha)
                    for k in range(kept):
                        at = chosen[b * K + k]
                        finished_tokens[b].append(kept_beams[k])
                        finished_score[b].append(values[b][at - b * candidates] / penalty)
                        finished_score_tensor[b].append(top_values.view([-1])[at] / penalty)
                        finished_log_prob[b].append(top_values.view([-1])[at])
                        finished_ended[b].append(False)
                        finished_attention[b].append(with_step[origin_rows[b * K + k]])
            if done[b]:
                for k in range(K):
                    chosen[b * K + k] = -1
            next_beams.append(kept_beams)
        all_done = True
        for b in range(B):
            if not done[b]:
                all_done = False
        if all_done:
            break
        beams = next_beams
        chosen_index = torch.tensor(chosen)
        beam_log_prob = top_values.view([-1]).index_select(0, chosen_index.clamp(min=0)).masked_fill(
            chosen_index.lt(0), minus_inf).view([B, K])
        rows = torch.tensor(origin_rows)
        state = self.reorder_state(step[2], rows)
        history = with_step.index_select(0, rows)
        previous = torch.tensor(next_tokens)

    # Best first (a stable sort, as std::stable_sort), at most n_best per sentence.
    orders: List[List[int]] = []
    longest_tokens = 0
    longest_attention = 0
    for b in range(B):
        order: List[int] = []
        for i in range(len(finished_score[b])):
            at = len(order)
            while at > 0 and finished_score[b][order[at - 1]] < finished_score[b][i]:
                at -= 1
            order.insert(at, i)
        while len(order) > n_best:
            order.pop()
        for i in order:
            if len(finished_tokens[b][i]) > longest_tokens:
                longest_tokens = len(finished_tokens[b][i])
            if finished_attention[b][i].size(0) > longest_attention:
                longest_attention = finished_attention[b][i].size(0)
        orders.append(order)
    tokens = torch.full_like(torch.zeros([B, n_best, longest_tokens]).long(), PAD)
    lengths = torch.zeros([B, n_best]).long()
    scores = torch.full([B, n_best], minus_inf, dtype=beam_log_prob.dtype)
    log_probs = torch.full([B, n_best], minus_inf, dtype=beam_log_prob.dtype)
    ended = lengths.lt(0)
    attention = torch.zeros([B, n_best, longest_attention, history.size(-1)], dtype=history.dtype)
    for b in range(B):
        for j in range(len(orders[b])):
            i = orders[b][j]
            n = len(finished_tokens[b][i])
            tokens[b, j, :n] = torch.tensor(finished_tokens[b][i], dtype=lengths.dtype)
            lengths[b, j] = n
            scores[b, j] = finished_score_tensor[b][i]
            log_probs[b, j] = finished_log_prob[b][i]
            ended[b, j] = finished_ended[b][i]
            rows_of = finished_attention[b][i]
            attention[b, j, :rows_of.size(0)] = rows_of
    return tokens, lengths, scores, log_probs, ended, attention
)TORCHSCRIPT";

}  // namespace

std::string torchscript_decoding_source(int64_t pad, int64_t bos, int64_t eos) {
  std::string source = kSource;
  source = std::regex_replace(source, std::regex("\\bPAD\\b"), std::to_string(pad));
  source = std::regex_replace(source, std::regex("\\bBOS\\b"), std::to_string(bos));
  source = std::regex_replace(source, std::regex("\\bEOS\\b"), std::to_string(eos));
  return source;
}

}  // namespace attnlab
