#!/usr/bin/python3
"""Train Quench's demo language model: a tiny Llama on public-domain Jane Austen.

What it makes (all written by this script, no downloaded weights or tokenizer):
  resources/demo-lm/tokenizer.json     BPE (characters of the corpus + 256 byte-fallback pieces +
                                       merges learned here), Llama/SentencePiece style: " " -> "▁",
                                       no pre-tokenizer, decoder "▁" -> " " + byte fallback
  resources/demo-lm/config.json        LlamaForCausalLM hyper-parameters (Hugging Face names)
  resources/demo-lm/model.safetensors  float32 weights, every value exactly representable in bf16
  resources/demo-lm/README.md          what it is, how it was made, license
  tests/data/demo_lm_golden.json       figures computed here by PyTorch (float64) that
                                       tests/core/model/test_demo_lm.cpp compares Quench against:
                                       token ids, logits, held-out perplexity, greedy tokens

Data: ../shared/data/corpus/{prideprejudice,persuasion}.txt with the line wraps removed (unwrap():
one paragraph per line). The last ~5% of persuasion.txt (from the first paragraph break at or
after 95% of its characters) is held out for evaluation.

The forward pass below is Hugging Face's LlamaForCausalLM written out: RMSNorm (weight ⊙ x /
sqrt(mean x² + eps)), RoPE rotating halves (i, i + head_dim/2) with angle pos·theta^(−2i/head_dim),
grouped-query attention (query head h reads KV head h // (n_heads / n_kv_heads)), SwiGLU
down(silu(gate x) ⊙ up x), tied input/output embedding.

Everything is seeded. Training runs --steps optimizer steps or until the --max-minutes budget is
spent, whichever comes first; the learning-rate schedule follows whichever is further along, so
a run cut short still ends annealed. Finishing by steps, a rerun on the same PyTorch build gives
the same files; stopped by the budget (the script says so), the weights depend on the machine's
speed, but the golden file always matches the weights written beside it.

Usage: /usr/bin/python3 tools/train_demo_lm.py [--steps N] [--max-minutes M] [--out DIR] [--golden FILE]
Needs only Debian's python3-torch (1.13) and python3-numpy.
"""
import argparse
import collections
import heapq
import json
import math
import os
import re
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "..", "shared", "data", "corpus")
SPACE = "\u2581"  # "▁", SentencePiece's visible space

# ---- hyper-parameters -------------------------------------------------------------------------
# Sized for what a busy 2-core machine trains in ten minutes (stories260K's scale): a wider or
# deeper model sees too few tokens in that time to be better.
VOCAB = 768           # 3 specials + 256 byte pieces + the 77 characters of the corpus + 432 merges
DIM = 64
N_LAYERS = 2
N_HEADS = 4
N_KV_HEADS = 2
HIDDEN = 176          # SwiGLU inner size (≈ 8/3 · dim, a multiple of 16)
SEQ_LEN = 128
NORM_EPS = 1e-5
ROPE_THETA = 10000.0
BATCH = 4             # sequences of SEQ_LEN tokens per step: small batches, many updates
LR = 4e-3
WARMUP = 30
SEED = 1234

UNK, BOS, EOS = 0, 1, 2
SPECIALS = ["<unk>", "<s>", "</s>"]

TEST_SENTENCE = "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife."
GREEDY_PROMPT = "Anne"
GREEDY_TOKENS = 48
LOGIT_IDS = list(range(0, VOCAB, 64))  # ids whose logits the golden file keeps at every position


# ---- tokenizer -----------------------------------------------------------------------------------
def unwrap(text):
    """The novels' hard line wraps removed: the lines of a paragraph joined by one space, one
    paragraph per line (so the model writes prose, not a newline every 70 characters)."""
    paras = (" ".join(l.strip() for l in p.split("\n") if l.strip()) for p in re.split(r"\n{2,}", text))
    return "\n".join(p for p in paras if p)


def normalize(text):
    """tokenizer.json's normalizer: every space becomes "▁" (nothing is prepended)."""
    return text.replace(" ", SPACE)


# Chunks that merges are learned within: optional spaces + a run of non-space, non-newline
# characters; a run of spaces; a run of newlines. "▁" only ever starts a chunk, so no learned
# piece can straddle two chunks and encoding chunk by chunk equals encoding the whole text
# (checked on the held-out text below).
CHUNK = re.compile(SPACE + "*[^" + SPACE + "\n]+|" + SPACE + "+|\n+")


def byte_piece(b):
    return "<0x%02X>" % b


def train_bpe(text, vocab_size):
    """Byte-pair merges learned from `text` (already normalized): the most frequent adjacent pair
    within a chunk is merged, ties broken by the smallest (left, right) strings, until the
    vocabulary holds vocab_size pieces. Returns (pieces in id order, merges in rank order)."""
    pieces = list(SPECIALS) + [byte_piece(b) for b in range(256)]
    chars = sorted(set(text))
    pieces += [c for c in chars if c not in pieces]
    words = collections.Counter(CHUNK.findall(text))
    syms = [list(w) for w in words]
    counts = list(words.values())
    pair_count = collections.Counter()
    where = collections.defaultdict(set)
    for i, s in enumerate(syms):
        for a, b in zip(s, s[1:]):
            pair_count[(a, b)] += counts[i]
            where[(a, b)].add(i)
    merges = []
    while len(pieces) < vocab_size and pair_count:
        best = min(pair_count.items(), key=lambda kv: (-kv[1], kv[0]))
        if best[1] < 2:
            break
        (a, b) = best[0]
        merged = a + b
        merges.append((a, b))
        pieces.append(merged)
        for i in sorted(where.pop((a, b), ())):
            s, c = syms[i], counts[i]
            for x, y in zip(s, s[1:]):
                pair_count[(x, y)] -= c
                if pair_count[(x, y)] <= 0:
                    del pair_count[(x, y)]
            out, j = [], 0
            while j < len(s):
                if j + 1 < len(s) and s[j] == a and s[j + 1] == b:
                    out.append(merged)
                    j += 2
                else:
                    out.append(s[j])
                    j += 1
            syms[i] = out
            for x, y in zip(out, out[1:]):
                pair_count[(x, y)] += c
                where[(x, y)].add(i)
        pair_count.pop((a, b), None)
    return pieces, merges


class Bpe:
    """Encoder with exactly the rules of tokenizer.json's BPE model as Quench applies them:
    characters to ids (unknown ones as UTF-8 byte pieces), then the merge of lowest rank,
    leftmost among equals, until none applies."""

    def __init__(self, pieces, merges):
        self.pieces = pieces
        self.ids = {p: i for i, p in enumerate(pieces)}
        self.rank = {(self.ids[a], self.ids[b]): (r, self.ids[a + b]) for r, (a, b) in enumerate(merges)}
        self.cache = {}

    def _chars(self, text):
        seq = []
        for ch in text:
            if ch in self.ids:
                seq.append(self.ids[ch])
            else:
                seq += [self.ids[byte_piece(b)] for b in ch.encode("utf-8")]
        return seq

    def merge(self, seq):
        """Greedy merging with a heap over a linked list (same result as rescanning after every
        merge: lowest rank first, leftmost among equal ranks)."""
        n = len(seq)
        if n < 2:
            return list(seq)
        seq = list(seq)
        nxt = list(range(1, n)) + [-1]
        prv = list(range(-1, n - 1))
        ver = [0] * n
        alive = [True] * n
        heap = []

        def push(l, r):
            if l >= 0 and r >= 0:
                m = self.rank.get((seq[l], seq[r]))
                if m is not None:
                    heapq.heappush(heap, (m[0], l, r, m[1], ver[l], ver[r]))

        for i in range(n - 1):
            push(i, i + 1)
        while heap:
            _, l, r, merged, vl, vr = heapq.heappop(heap)
            if not alive[l] or not alive[r] or nxt[l] != r or ver[l] != vl or ver[r] != vr:
                continue
            seq[l] = merged
            ver[l] += 1
            alive[r] = False
            nxt[l] = nxt[r]
            if nxt[r] >= 0:
                prv[nxt[r]] = l
            push(prv[l], l)
            push(l, nxt[l])
        out, i = [], 0
        while i >= 0:
            out.append(seq[i])
            i = nxt[i]
        return out

    def encode_whole(self, text):
        """The reference: the whole normalized text merged as one sequence."""
        return self.merge(self._chars(normalize(text)))

    def encode(self, text):
        """Chunk by chunk with a cache (fast for the training text); equal to encode_whole."""
        out = []
        for chunk in re.findall(CHUNK.pattern + "|.", normalize(text), flags=re.S):
            ids = self.cache.get(chunk)
            if ids is None:
                ids = self.cache[chunk] = self.merge(self._chars(chunk))
            out += ids
        return out

    def decode(self, ids):
        raw = bytearray()
        for i in ids:
            if i in (UNK, BOS, EOS):
                continue
            p = self.pieces[i]
            if re.fullmatch(r"<0x[0-9A-F]{2}>", p):
                raw.append(int(p[3:5], 16))
            else:
                raw += p.replace(SPACE, " ").encode("utf-8")
        return raw.decode("utf-8", errors="replace")


def tokenizer_json(pieces, merges):
    added = [dict(id=i, content=s, single_word=False, lstrip=False, rstrip=False, normalized=False, special=True)
             for i, s in enumerate(SPECIALS)]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": SPACE},
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [BOS], "tokens": ["<s>"]}},
        },
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": SPACE}, "content": " "},
            {"type": "ByteFallback"},
            {"type": "Fuse"}]},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": "<unk>",
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": True,
            "byte_fallback": True,
            "vocab": {p: i for i, p in enumerate(pieces)},
            "merges": [a + " " + b for a, b in merges],
        },
    }


# ---- model ---------------------------------------------------------------------------------------
class RMSNorm(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + NORM_EPS))


def rope_tables(seq_len, head_dim, dtype):
    inv = 1.0 / (ROPE_THETA ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))
    ang = torch.arange(seq_len, dtype=torch.float64)[:, None] * inv[None, :]  # (seq, head_dim/2)
    ang = torch.cat([ang, ang], dim=-1)                                        # (seq, head_dim)
    return ang.cos().to(dtype), ang.sin().to(dtype)


def apply_rope(x, cos, sin):
    """x (batch, heads, seq, head_dim); pairs (i, i + head_dim/2) rotated by angle pos·inv_freq[i]."""
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + rotated * sin


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        hd = DIM // N_HEADS
        self.input_layernorm = RMSNorm(DIM)
        self.q_proj = nn.Linear(DIM, N_HEADS * hd, bias=False)
        self.k_proj = nn.Linear(DIM, N_KV_HEADS * hd, bias=False)
        self.v_proj = nn.Linear(DIM, N_KV_HEADS * hd, bias=False)
        self.o_proj = nn.Linear(N_HEADS * hd, DIM, bias=False)
        self.post_attention_layernorm = RMSNorm(DIM)
        self.gate_proj = nn.Linear(DIM, HIDDEN, bias=False)
        self.up_proj = nn.Linear(DIM, HIDDEN, bias=False)
        self.down_proj = nn.Linear(HIDDEN, DIM, bias=False)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        hd = DIM // N_HEADS
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(b, t, N_HEADS, hd).transpose(1, 2)     # (b, heads, t, hd)
        k = self.k_proj(h).view(b, t, N_KV_HEADS, hd).transpose(1, 2)  # (b, kv_heads, t, hd)
        v = self.v_proj(h).view(b, t, N_KV_HEADS, hd).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        k = k.repeat_interleave(N_HEADS // N_KV_HEADS, dim=1)  # query head h reads KV head h // group
        v = v.repeat_interleave(N_HEADS // N_KV_HEADS, dim=1)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hd)
        att = att.masked_fill(mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, DIM)
        x = x + self.o_proj(y)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class TinyLlama(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCAB, DIM)
        self.layers = nn.ModuleList([Block() for _ in range(N_LAYERS)])
        self.norm = RMSNorm(DIM)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * N_LAYERS) if name.endswith(("o_proj.weight", "down_proj.weight")) else 0.02
                nn.init.normal_(p, std=std)

    def forward(self, idx):
        t = idx.shape[1]
        dtype = self.embed_tokens.weight.dtype
        cos, sin = rope_tables(t, DIM // N_HEADS, dtype)
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
        x = self.embed_tokens(idx)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.norm(x) @ self.embed_tokens.weight.T  # tied classifier, (b, t, vocab)

    def hf_tensors(self):
        """Parameters under their Hugging Face LlamaForCausalLM names (tied: no lm_head.weight)."""
        out = {"model.embed_tokens.weight": self.embed_tokens.weight, "model.norm.weight": self.norm.weight}
        for l, L in enumerate(self.layers):
            p = "model.layers.%d." % l
            out[p + "input_layernorm.weight"] = L.input_layernorm.weight
            out[p + "post_attention_layernorm.weight"] = L.post_attention_layernorm.weight
            for n in ("q_proj", "k_proj", "v_proj", "o_proj"):
                out[p + "self_attn." + n + ".weight"] = getattr(L, n).weight
            for n in ("gate_proj", "up_proj", "down_proj"):
                out[p + "mlp." + n + ".weight"] = getattr(L, n).weight
        return out


def write_safetensors(path, tensors, metadata):
    """safetensors: u64 little-endian header size, JSON header (dtype, shape, data_offsets relative
    to the data block), padded with spaces to a multiple of 8, then the raw little-endian data."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name].detach().to(torch.float32).numpy(), dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# ---- evaluation (the way `quench-cli eval --text` scores a text) ---------------------------------
def chunk_nll(model, ids, context):
    """Sum of −ln P(next) and count over consecutive chunks of `context` tokens, each run from an
    empty context, scoring every position whose next token lies in the same chunk."""
    total, count = 0.0, 0
    with torch.no_grad():
        for at in range(0, len(ids), context):
            chunk = ids[at:at + context]
            if len(chunk) < 2:
                continue
            x = torch.tensor([chunk])
            logp = model(x)[0].to(torch.float64).log_softmax(-1)
            tgt = torch.tensor(chunk[1:])
            total -= logp[torch.arange(len(chunk) - 1), tgt].sum().item()
            count += len(chunk) - 1
    return total, count


def greedy(model, prompt, n):
    """Greedy decoding (argmax, lowest id on ties), the whole prefix rerun each step; also the
    smallest gap between the best and second-best logit along the way."""
    ids, gap = list(prompt), float("inf")
    with torch.no_grad():
        for _ in range(n):
            z = model(torch.tensor([ids]))[0, -1]
            top = torch.topk(z, 2)
            gap = min(gap, (top.values[0] - top.values[1]).item())
            ids.append(int(torch.argmax(z).item()))
    return ids[len(prompt):], gap


def readme_text(n_params, steps, stopped_early, train_s, ppl, count, heldout_chars, greedy_text):
    command = "/usr/bin/python3 tools/train_demo_lm.py " + " ".join(sys.argv[1:])
    how = "stopped by its time budget" if stopped_early else "all steps"
    sample = greedy_text.replace("\n", " ")
    return f"""# Quench demo language model

A tiny Llama-architecture language model ({n_params:,} parameters) that Quench opens on first
start (`quench --demo`), so that every view has a real model to show. It is a Hugging Face
`LlamaForCausalLM` folder: `config.json`, `tokenizer.json` (BPE, {VOCAB} pieces, byte fallback)
and `model.safetensors` (float32; every value is exactly representable in bfloat16).

Shape: hidden size {DIM}, {N_LAYERS} layers, {N_HEADS} attention heads sharing {N_KV_HEADS} key/value heads,
SwiGLU inner size {HIDDEN}, context {SEQ_LEN} tokens, RMSNorm eps {NORM_EPS:g}, RoPE theta {ROPE_THETA:g},
tied input/output embedding.

## How it was made

By the Quench developers, from scratch, with `tools/train_demo_lm.py` (Debian's python3-torch
1.13 on a CPU; no downloaded weights or tokenizer):

    {command}

The tokenizer's merges were learned from the training text; the model was trained with AdamW
(seed {SEED}, {BATCH} × {SEQ_LEN} tokens per step, {steps} steps ({how}), {train_s / 60:.1f} minutes) on Jane Austen's
*Pride and Prejudice* and the first 95% of *Persuasion* (line wraps removed: one paragraph per
line). On the held-out last 5% of *Persuasion*
({heldout_chars:,} characters, {count:,} scored tokens, chunks of {SEQ_LEN} tokens) its perplexity is {ppl:.2f}
per token. It is a toy: greedy decoding after "{GREEDY_PROMPT}" gives "{GREEDY_PROMPT}{sample[:160]}".

The same run writes `tests/data/demo_lm_golden.json` (token ids, logits, perplexity and greedy
tokens computed by PyTorch), which `tests/core/model/test_demo_lm.cpp` checks Quench against.

## License

The training text is in the public domain (Jane Austen, 1813 and 1818). The weights and the
tokenizer were made by the Quench developers and are released under the MIT license, like
Quench.
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=3000, help="optimizer steps (fixed: reproducible)")
    ap.add_argument("--max-minutes", type=float, default=9.0, help="training time budget, minutes")
    # One thread by default: on a machine shared with compilers, OpenMP's two threads wait on
    # each other at every barrier and a step took 2.5× longer than with one (measured here).
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(ROOT, "resources", "demo-lm"))
    ap.add_argument("--golden", default=os.path.join(ROOT, "tests", "data", "demo_lm_golden.json"))
    args = ap.parse_args()

    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(args.threads)
    t0 = time.time()

    texts = {n: open(os.path.join(CORPUS, n), encoding="utf-8").read() for n in ("prideprejudice.txt", "persuasion.txt")}
    pers = texts["persuasion.txt"]
    cut = pers.index("\n\n", int(0.95 * len(pers))) + 2  # held-out text starts with a paragraph
    train_docs = [unwrap(texts["prideprejudice.txt"]), unwrap(pers[:cut])]
    heldout = unwrap(pers[cut:])

    pieces, merges = train_bpe(normalize("".join(train_docs)), VOCAB)
    assert len(pieces) == VOCAB, len(pieces)
    tok = Bpe(pieces, merges)
    print("tokenizer: %d pieces, %d merges (%.1f s)" % (len(pieces), len(merges), time.time() - t0), flush=True)

    stream = []
    for d in train_docs:
        stream += [BOS] + tok.encode(d) + [EOS]
    heldout_ids = tok.encode(heldout)
    assert heldout_ids == tok.encode_whole(heldout), "chunked and whole-text encodings differ"
    assert tok.decode(heldout_ids) == heldout
    print("train tokens %d (%.2f chars/token), held-out tokens %d" %
          (len(stream), sum(map(len, train_docs)) / len(stream), len(heldout_ids)), flush=True)

    data = torch.tensor(stream, dtype=torch.long)
    model = TinyLlama()
    n_params = sum(p.numel() for p in model.parameters())
    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=LR, betas=(0.9, 0.95), eps=1e-8, foreach=True)
    gen = torch.Generator().manual_seed(SEED)
    steps_done, stopped_early, t_train = 0, False, time.time()
    budget_s = 60 * args.max_minutes
    cpu0 = time.process_time()
    for step in range(args.steps):
        # Cosine decay over the run's progress: the step fraction, or the fraction of the time
        # budget when that is larger, so a run cut short by the budget still ends annealed.
        progress = min(1.0, max(step / args.steps, (time.time() - t_train) / budget_s))
        lr = LR * min(1.0, (step + 1) / WARMUP) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))
        for g in opt.param_groups:
            g["lr"] = lr
        starts = torch.randint(0, len(data) - SEQ_LEN - 1, (BATCH,), generator=gen)
        batch = torch.stack([data[s:s + SEQ_LEN + 1] for s in starts.tolist()])
        logits = model(batch[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), batch[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        steps_done = step + 1
        if step % 25 == 0 or step + 1 == args.steps:
            print("step %4d  loss %.4f  lr %.2e  %.0f s (%.0f s CPU)" %
                  (step, loss.item(), lr, time.time() - t_train, time.process_time() - cpu0), flush=True)
        if time.time() - t_train > budget_s:
            stopped_early = True
            print("time budget of %.1f min reached after %d of %d steps: the result depends on this machine"
                  % (args.max_minutes, steps_done, args.steps), flush=True)
            break
    train_s = time.time() - t_train
    train_cpu_s = time.process_time() - cpu0

    # bf16-friendly: round every weight to the nearest bfloat16 (kept in float32 storage), so that
    # Quench's bf16 "quantization" of this model is lossless and the file compresses well.
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(torch.bfloat16).to(torch.float32))
    model.eval()

    os.makedirs(args.out, exist_ok=True)
    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": DIM, "intermediate_size": HIDDEN, "num_hidden_layers": N_LAYERS,
        "num_attention_heads": N_HEADS, "num_key_value_heads": N_KV_HEADS, "head_dim": DIM // N_HEADS,
        "vocab_size": VOCAB, "max_position_embeddings": SEQ_LEN,
        "rms_norm_eps": NORM_EPS, "rope_theta": ROPE_THETA, "rope_scaling": None, "hidden_act": "silu",
        "attention_bias": False, "attention_dropout": 0.0, "mlp_bias": False, "tie_word_embeddings": True,
        "bos_token_id": BOS, "eos_token_id": EOS, "initializer_range": 0.02, "pretraining_tp": 1,
        "torch_dtype": "float32", "use_cache": True,
    }
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    with open(os.path.join(args.out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(pieces, merges), f, ensure_ascii=False, indent=None, separators=(",", ":"))
        f.write("\n")
    write_safetensors(os.path.join(args.out, "model.safetensors"), model.hf_tensors(),
                      {"format": "pt", "source": "tools/train_demo_lm.py"})

    # Golden figures in float64 (an independent reference for Quench's float32 runtime).
    ref = model.to(torch.float64)
    nll, count = chunk_nll(ref, [BOS] + heldout_ids, SEQ_LEN)
    ppl = math.exp(nll / count)
    sent_ids = tok.encode(TEST_SENTENCE)
    assert sent_ids == tok.encode_whole(TEST_SENTENCE)
    with torch.no_grad():
        z = ref(torch.tensor([[BOS] + sent_ids]))[0]
    positions = []
    for i in range(z.shape[0]):
        row = z[i]
        positions.append({
            "argmax": int(row.argmax().item()),
            "logsumexp": float(torch.logsumexp(row, 0).item()),
            "logits": [float(row[j].item()) for j in LOGIT_IDS],
        })
    prompt_ids = [BOS] + tok.encode(GREEDY_PROMPT)
    greedy_ids, gap = greedy(ref, prompt_ids, GREEDY_TOKENS)
    greedy_text = tok.decode(greedy_ids)
    golden = {
        "about": "Written by tools/train_demo_lm.py from resources/demo-lm, computed by PyTorch in float64",
        "model": "resources/demo-lm",
        "test_sentence": TEST_SENTENCE,
        "test_sentence_ids": sent_ids,
        "logit_ids": LOGIT_IDS,
        "positions": positions,
        "heldout_file": "corpus/persuasion.txt",
        "heldout_start_char": cut,
        "heldout_ids": heldout_ids,
        "heldout_context": SEQ_LEN,
        "heldout_scored_tokens": count,
        "heldout_ppl": ppl,
        "greedy_prompt": GREEDY_PROMPT,
        "greedy_prompt_ids": prompt_ids,
        "greedy_ids": greedy_ids,
        "greedy_text": greedy_text,
        "greedy_min_top2_gap": gap,
    }
    os.makedirs(os.path.dirname(args.golden), exist_ok=True)
    with open(args.golden, "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")

    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write(readme_text(n_params, steps_done, stopped_early, train_s, ppl, count, len(heldout), greedy_text))

    size = sum(os.path.getsize(os.path.join(args.out, n)) for n in ("model.safetensors", "config.json", "tokenizer.json"))
    print("params %d, steps %d, training %.0f s (%.0f s CPU), total %.0f s" %
          (n_params, steps_done, train_s, train_cpu_s, time.time() - t0))
    print("held-out perplexity %.4f over %d tokens (%.2f chars/token)" % (ppl, count, len(heldout) / len(heldout_ids)))
    print("greedy from %r: %r (smallest top-2 logit gap %.4f)" % (GREEDY_PROMPT, greedy_text, gap))
    print("wrote %s (%d bytes) and %s" % (args.out, size, args.golden))
    return 0


if __name__ == "__main__":
    sys.exit(main())
