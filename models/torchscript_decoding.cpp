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
        step = self.decode_step_logits(previous, state)
        predicted = torch.max(step[0], -1)[1].masked_fill(finished, PAD)
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

def beam_search(self, src: Tensor, src_lengths: Tensor, beam: int, max_length_ratio: float, max_length_extra: int,
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
        limit = torch.ceil(max_length_ratio * float(source_lengths[b])) + max_length_extra
        if limit < 1:
            limit = 1
        max_length.append(limit)
        if limit > longest:
            longest = limit
    limits = torch.tensor(max_length)

    state = self.encode(src, src_lengths)
    state = self.reorder_state(state, torch.arange(B).repeat_interleave(K))
    done: List[bool] = []
    finished_tokens: List[List[Tensor]] = []
    finished_score: List[List[float]] = []
    finished_score_tensor: List[List[Tensor]] = []
    finished_log_prob: List[List[Tensor]] = []
    finished_ended: List[List[bool]] = []
    finished_attention: List[List[Tensor]] = []
    for b in range(B):
        done.append(False)
        no_hypotheses: List[Tensor] = []
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
    # Each row's tokens so far [R, t] and attention so far [R, t, S], reordered with the state.
    tokens_so_far = previous.unsqueeze(1).narrow(1, 0, 0)
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
        top_indices = top[1]

        # The common step, as tensor operations: no live sentence ends or reaches its limit, so
        # each keeps its K best candidates (what the loop below does then, without the loop).
        first = top_indices.narrow(1, 0, K)
        live = torch.tensor(done).logical_not()
        ending = (first % V == EOS) | torch.isinf(top_values.narrow(1, 0, K))
        if bool((ending.any(1) | (limits <= t + 1)).logical_and(live).any().logical_not()):
            base = torch.arange(B).unsqueeze(1)
            live_rows = live.unsqueeze(1).expand([B, K])
            rows = torch.where(live_rows, base * K + first // V, (base * K).expand([B, K])).flatten()
            previous = torch.where(live_rows, first % V, torch.full_like(first, PAD)).flatten()
            chosen_index = torch.where(live_rows, base * candidates + torch.arange(K).unsqueeze(0),
                                       torch.full_like(first, -1)).flatten()
        else:
            values: List[List[float]] = top_values.tolist()
            indices: List[List[int]] = top_indices.tolist()
            origin_rows: List[int] = []
            next_tokens: List[int] = []
            chosen: List[int] = []  # the candidate (b x candidates + c) each next beam continues, -1 for none
            for r in range(B * K):
                origin_rows.append(0)
                next_tokens.append(PAD)
                chosen.append(-1)
            for b in range(B):
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
                        finished_tokens[b].append(tokens_so_far[b * K + origin])
                        finished_score[b].append(value / penalty)
                        finished_score_tensor[b].append(top_values[b, c - 1] / penalty)
                        finished_log_prob[b].append(top_values[b, c - 1])
                        finished_ended[b].append(True)
                        finished_attention[b].append(with_step[b * K + origin])
                        continue
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
                            row = origin_rows[b * K + k]
                            last = torch.full_like(previous.narrow(0, 0, 1), next_tokens[b * K + k])
                            finished_tokens[b].append(torch.cat([tokens_so_far[row], last]))
                            finished_score[b].append(values[b][at - b * candidates] / penalty)
                            finished_score_tensor[b].append(top_values.view([-1])[at] / penalty)
                            finished_log_prob[b].append(top_values.view([-1])[at])
                            finished_ended[b].append(False)
                            finished_attention[b].append(with_step[row])
                if done[b]:
                    for k in range(K):
                        chosen[b * K + k] = -1
            all_done = True
            for b in range(B):
                if not done[b]:
                    all_done = False
            if all_done:
                break
            rows = torch.tensor(origin_rows)
            previous = torch.tensor(next_tokens)
            chosen_index = torch.tensor(chosen)
        beam_log_prob = top_values.view([-1]).index_select(0, chosen_index.clamp(min=0)).masked_fill(
            chosen_index.lt(0), minus_inf).view([B, K])
        state = self.reorder_state(step[2], rows)
        history = with_step.index_select(0, rows)
        tokens_so_far = torch.cat([tokens_so_far.index_select(0, rows), previous.unsqueeze(1)], 1)

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
            if finished_tokens[b][i].size(0) > longest_tokens:
                longest_tokens = finished_tokens[b][i].size(0)
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
            n = finished_tokens[b][i].size(0)
            tokens[b, j, :n] = finished_tokens[b][i]
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
