#!/usr/bin/python3
"""The peer of `attnlab bench model --peer`: the same two models written in Python PyTorch eager.

The Transformer (post-LN, sinusoidal positions, nn.TransformerEncoderLayer/DecoderLayer, no dropout
on the attention weights, as attnlab's multi_head) and the Bahdanau RNN encoder-decoder (bi-GRU,
additive attention v^T tanh(W q + U k) queried by the previous state, readout tanh(W [s; c; e])),
at the sizes attnlab's bench uses, timed as attnlab times its own:

  training step: forward with teacher forcing -> label-smoothed cross-entropy (0.1) -> backward ->
                 Adam step (torch.optim.Adam as a user makes it); median of --repeats after one
                 warm-up, gradients zeroed outside the timed part;
  greedy:        --sentences sentences in batches of --batch, end-of-sentence forbidden, every
                 hypothesis --length tokens; the Transformer decodes incrementally with cached
                 keys and values, as attnlab does.

Prints one JSON line: model, parameters, train_ms, greedy_ms, threads, blas_core. Exits 2 with a
one-line message when the parameter count differs from --expect-parameters (the models would not
be the same) or an option is bad.

With --serve (how attnlab bench model --peer runs it), it prints the JSON line without the times
once the model is built, then times one run per line it reads ("train": one training step with
the gradients zeroed before the clock starts; "greedy": every batch decoded) and answers each with
the milliseconds, so that attnlab can alternate its own runs with the peer's, run by run.
Legend: B batch, S source steps, T target steps, D model dims, H heads, V vocabulary, E embedding
dims, A attention hidden dims.
"""
import argparse
import ctypes
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PAD, BOS, EOS, NUM_SPECIAL = 0, 2, 3, 7  # core/special_tokens.h


def sinusoidal_table(length, dims):
    position = torch.arange(length, dtype=torch.double).unsqueeze(1)                 # [T, 1]
    angle = position * torch.exp(torch.arange(0, dims, 2, dtype=torch.double) * (-math.log(10000.0) / dims))
    table = torch.zeros(length, dims, dtype=torch.double)
    table[:, 0::2] = torch.sin(angle)
    table[:, 1::2] = torch.cos(angle)[:, : dims // 2]
    return table.float()                                                             # [T, D]


class Transformer(nn.Module):
    """d=256, ff=1024, 3+3 layers, 8 heads, dropout 0.1 (attnlab's bench_support.cpp)."""

    def __init__(self, vocab, dims=256, heads=8, feed_forward=1024, layers=3, dropout=0.1, max_length=1024):
        super().__init__()
        self.dims, self.heads = dims, heads
        self.source_embedding = nn.Embedding(vocab, dims, padding_idx=PAD)
        self.target_embedding = nn.Embedding(vocab, dims, padding_idx=PAD)
        self.register_buffer("positions", sinusoidal_table(max_length, dims))
        self.dropout = nn.Dropout(dropout)
        self.encoder = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(dims, heads, feed_forward, dropout, batch_first=True), layers,
            enable_nested_tensor=False)
        self.decoder = nn.TransformerDecoder(
            nn.TransformerDecoderLayer(dims, heads, feed_forward, dropout, batch_first=True), layers)
        for layer in list(self.encoder.layers) + list(self.decoder.layers):  # attnlab: no dropout on weights
            layer.self_attn.dropout = 0.0
            if hasattr(layer, "multihead_attn"):
                layer.multihead_attn.dropout = 0.0
        self.generator = nn.Linear(dims, vocab)

    def embed(self, table, tokens, offset=0):
        steps = tokens.size(1)
        return self.dropout(table(tokens) * math.sqrt(self.dims) + self.positions[offset:offset + steps])

    def encode(self, source):
        padding = source.eq(PAD)                                                      # [B, S]
        memory = self.encoder(self.embed(self.source_embedding, source), src_key_padding_mask=padding)
        return memory.masked_fill(padding.unsqueeze(-1), 0.0), padding               # [B, S, D]

    def forward(self, source, target_in):                                            # -> logits [B, T, V]
        memory, padding = self.encode(source)
        steps = target_in.size(1)
        causal = torch.triu(torch.full((steps, steps), float("-inf")), diagonal=1)   # [T, T]
        y = self.decoder(self.embed(self.target_embedding, target_in), memory, tgt_mask=causal,
                         memory_key_padding_mask=padding)
        return self.generator(y)

    def _attend(self, attention, q, k, v, padding=None):
        """q [B, 1, D] over cached k, v [B, H, Tk, Dh] -> [B, 1, D] through the output projection."""
        B, H = q.size(0), self.heads
        q = q.view(B, 1, H, -1).transpose(1, 2)                                       # [B, H, 1, Dh]
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.size(-1))         # [B, H, 1, Tk]
        if padding is not None:
            scores = scores.masked_fill(padding[:, None, None, :], float("-inf"))
        context = torch.matmul(torch.softmax(scores, -1), v)                          # [B, H, 1, Dh]
        return attention.out_proj(context.transpose(1, 2).reshape(B, 1, -1))

    @torch.no_grad()
    def greedy(self, source, length):
        memory, padding = self.encode(source)
        B, D = source.size(0), self.dims
        heads = lambda x: x.view(B, -1, self.heads, D // self.heads).transpose(1, 2)  # [B, T, D] -> [B, H, T, Dh]
        cross = []
        for layer in self.decoder.layers:  # the source's keys and values, once
            w, b = layer.multihead_attn.in_proj_weight, layer.multihead_attn.in_proj_bias
            cross.append((heads(F.linear(memory, w[D:2 * D], b[D:2 * D])), heads(F.linear(memory, w[2 * D:], b[2 * D:]))))
        cache = [(None, None)] * len(self.decoder.layers)
        tokens = torch.full((B, 1), BOS, dtype=torch.long)
        out = []
        for t in range(length):
            y = self.embed(self.target_embedding, tokens, t)                          # [B, 1, D]
            for l, layer in enumerate(self.decoder.layers):
                q, k, v = F.linear(y, layer.self_attn.in_proj_weight, layer.self_attn.in_proj_bias).chunk(3, -1)
                k, v = heads(k), heads(v)
                if cache[l][0] is not None:
                    k, v = torch.cat([cache[l][0], k], 2), torch.cat([cache[l][1], v], 2)
                cache[l] = (k, v)
                y = layer.norm1(y + self._attend(layer.self_attn, q, k, v))
                w, b = layer.multihead_attn.in_proj_weight, layer.multihead_attn.in_proj_bias
                q = F.linear(y, w[:D], b[:D])
                y = layer.norm2(y + self._attend(layer.multihead_attn, q, *cross[l], padding))
                y = layer.norm3(y + layer.linear2(F.relu(layer.linear1(y))))
            logits = self.generator(y).squeeze(1)                                     # [B, V]
            logits[:, EOS] = float("-inf")
            tokens = logits.argmax(-1, keepdim=True)
            out.append(tokens)
        return torch.cat(out, 1)                                                      # [B, T]


class BahdanauRNN(nn.Module):
    """Bi-GRU 256 (128 per direction), embeddings 256, additive attention hidden 128, dropout 0.1."""

    def __init__(self, vocab, embedding=256, hidden=256, attention_hidden=128, dropout=0.1):
        super().__init__()
        E, H, A = embedding, hidden, attention_hidden
        self.source_embedding = nn.Embedding(vocab, E, padding_idx=PAD)
        self.target_embedding = nn.Embedding(vocab, E, padding_idx=PAD)
        self.encoder = nn.GRU(E, H // 2, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(H, H)
        self.cell = nn.GRUCell(E + H, H)
        self.query_proj = nn.Linear(H, A)                 # W (with the hidden layer's bias)
        self.key_proj = nn.Linear(H, A, bias=False)       # U
        self.v = nn.Linear(A, 1, bias=False)
        self.readout_hidden = nn.Linear(2 * H + E, H)
        self.output = nn.Linear(H, vocab)
        self.dropout = nn.Dropout(dropout)

    def encode(self, source):
        lengths = source.ne(PAD).sum(1)
        packed = nn.utils.rnn.pack_padded_sequence(self.dropout(self.source_embedding(source)), lengths,
                                                   batch_first=True, enforce_sorted=False)
        outputs, h_n = self.encoder(packed)
        outputs, _ = nn.utils.rnn.pad_packed_sequence(outputs, batch_first=True, total_length=source.size(1))
        padding = source.eq(PAD)                                                      # [B, S]
        state = torch.tanh(self.bridge(torch.cat([h_n[-2], h_n[-1]], -1)))            # [B, H]
        return outputs, self.key_proj(outputs), padding, state                        # [B, S, H], [B, S, A]

    def step(self, embedded, state, outputs, keys, padding):                        # e(y_{t-1}) [B, E]
        scores = self.v(torch.tanh(self.query_proj(state).unsqueeze(1) + keys)).squeeze(-1)  # [B, S]
        weights = torch.softmax(scores.masked_fill(padding, float("-inf")), -1)
        context = torch.bmm(weights.unsqueeze(1), outputs).squeeze(1)                 # [B, H]
        state = self.cell(torch.cat([embedded, context], -1), state)
        return state, torch.cat([state, context, embedded], -1)                       # [B, 2H + E]

    def readout(self, features):
        return self.output(self.dropout(torch.tanh(self.readout_hidden(features))))

    def forward(self, source, target_in):                                            # -> logits [B, T, V]
        outputs, keys, padding, state = self.encode(source)
        embedded = self.dropout(self.target_embedding(target_in))                    # [B, T, E], once
        features = []
        for t in range(target_in.size(1)):
            state, f = self.step(embedded[:, t], state, outputs, keys, padding)
            features.append(f)
        return self.readout(torch.stack(features, 1))

    @torch.no_grad()
    def greedy(self, source, length):
        outputs, keys, padding, state = self.encode(source)
        tokens = torch.full((source.size(0),), BOS, dtype=torch.long)
        out = []
        for _ in range(length):
            state, f = self.step(self.target_embedding(tokens), state, outputs, keys, padding)
            logits = self.readout(f)
            logits[:, EOS] = float("-inf")
            tokens = logits.argmax(-1)
            out.append(tokens)
        return torch.stack(out, 1)


MODELS = {"transformer": Transformer, "rnn_bahdanau": BahdanauRNN}


def median_ms(step, reset, repeats):
    reset()
    step()  # warm-up
    times = []
    for _ in range(repeats):
        reset()
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def blas_core():
    try:
        library = ctypes.CDLL("libopenblas.so.0")
        library.openblas_get_corename.restype = ctypes.c_char_p
        return library.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return ""


def random_batch(args):
    ids = lambda: torch.randint(NUM_SPECIAL, args.vocab, (args.batch, args.length))
    source, target = ids(), ids()
    bos, eos = torch.full((args.batch, 1), BOS), torch.full((args.batch, 1), EOS)
    return source, torch.cat([bos, target[:, :-1]], 1), torch.cat([target[:, 1:], eos], 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, choices=sorted(MODELS))
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--length", type=int, default=32)
    parser.add_argument("--vocab", type=int, default=8000)
    parser.add_argument("--sentences", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, help="torch.set_num_threads; omitted: PyTorch's default")
    parser.add_argument("--expect-parameters", type=int, help="exit 2 unless the model has this many")
    parser.add_argument("--serve", action="store_true", help="time one run per line read: train or greedy")
    args = parser.parse_args()
    if min(args.batch, args.sentences, args.repeats) < 1 or args.length < 2 or args.vocab <= NUM_SPECIAL:
        print("bench_peer.py: sizes must be positive, --length >= 2, --vocab > 7", file=sys.stderr)
        return 2
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = MODELS[args.model](args.vocab)
    parameters = sum(p.numel() for p in model.parameters())
    if args.expect_parameters is not None and parameters != args.expect_parameters:
        print(f"bench_peer.py: the Python {args.model} has {parameters} parameters, attnlab's "
              f"{args.expect_parameters}: not the same model", file=sys.stderr)
        return 2

    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    source, target_in, target_out = random_batch(args)

    def train_step():
        logits = model(source, target_in)
        loss = F.cross_entropy(logits.flatten(0, 1), target_out.flatten(), ignore_index=PAD, label_smoothing=0.1)
        loss.backward()
        optimizer.step()

    batches = [random_batch(args)[0] for _ in range(0, args.sentences, args.batch)]
    model.eval()
    decoded = model.greedy(batches[0], args.length)
    if decoded.shape != (args.batch, args.length):
        print(f"bench_peer.py: greedy decoding gave {tuple(decoded.shape)}, not {(args.batch, args.length)}",
              file=sys.stderr)
        return 2
    figures = {"model": args.model, "parameters": parameters, "threads": torch.get_num_threads(),
               "blas_core": blas_core()}
    if args.serve:
        return serve(model, optimizer, train_step, batches, args.length, figures)

    model.train()
    train_ms = median_ms(train_step, lambda: optimizer.zero_grad(set_to_none=False), args.repeats)
    model.eval()
    greedy_ms = median_ms(lambda: [model.greedy(b, args.length) for b in batches], lambda: None, args.repeats)
    print(json.dumps(dict(figures, train_ms=train_ms, greedy_ms=greedy_ms)))
    return 0


def serve(model, optimizer, train_step, batches, length, figures):
    """Answers each line read (train / greedy) with the milliseconds of one such run."""
    print(json.dumps(figures), flush=True)
    for line in sys.stdin:
        what = line.strip()
        if what == "train":
            model.train()
            optimizer.zero_grad(set_to_none=False)
            start = time.perf_counter()
            train_step()
        elif what == "greedy":
            model.eval()
            start = time.perf_counter()
            for b in batches:
                model.greedy(b, length)
        else:
            print(f"bench_peer.py: unknown request {what!r} (train or greedy)", file=sys.stderr)
            return 2
        print((time.perf_counter() - start) * 1000.0, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
