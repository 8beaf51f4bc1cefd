#!/usr/bin/env python3
"""Write a Hugging Face tokenizer.json (and tokenizer_config.json) holding the vocabulary of a
llama.cpp vocabulary GGUF, laid out the way Hugging Face's own files for that family are, so that
Quench's tokenizer.json reader can be checked against llama.cpp's ids for the same vocabulary.

    tools/gguf_vocab_to_tokenizer_json.py VOCAB.gguf OUT_DIR

Families:
  * tokenizer.ggml.model "gpt2" with pre-tokenizer gpt-2 / mpt (GPT-2's regex): GPT-2's layout:
    ByteLevel pre-tokenizer (use_regex, no prefix space), ByteLevel decoder, merges as in the
    GGUF, control tokens as special added tokens, user-defined ones as plain added tokens.
  * tokenizer.ggml.model "llama" (SentencePiece BPE): Llama 2's layout: normalizer
    Prepend("▁") + Replace(" ", "▁"), BPE with byte_fallback and fuse_unk, decoder Replace /
    ByteFallback / Fuse / Strip, post-processor <s> $A. SentencePiece keeps scores, not merges;
    the merges are derived from them as transformers' SentencePieceExtractor does: every split of
    a piece into two pieces, ordered by the piece's score (highest first), then by the two ids.

Only the Python standard library is used (the GGUF reader below is ours: header, key/values).
"""
import json
import os
import struct
import sys

TYPE_CONTROL, TYPE_USER_DEFINED, TYPE_UNKNOWN = 3, 4, 2


def read_gguf_kv(path):
    data = open(path, "rb").read()
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from("<" + fmt, data, pos)[0]
        pos += struct.calcsize("<" + fmt)
        return v

    def string():
        nonlocal pos
        n = take("Q")
        s = data[pos:pos + n]
        pos += n
        return s.decode("utf-8")

    scalar = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}

    def value(t):
        if t == 8:
            return string()
        if t == 9:
            et, n = take("I"), take("Q")
            return [value(et) for _ in range(n)]
        return take(scalar[t])

    if data[:4] != b"GGUF":
        raise SystemExit(path + ": not a GGUF file")
    pos = 4
    take("I")  # version
    take("Q")  # tensor count
    kv = {}
    for _ in range(take("Q")):
        key = string()
        kv[key] = value(take("I"))
    return kv


def added_token(i, content, special, normalized):
    return {"id": i, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": normalized, "special": special}


def byte_level(kv, tokens, types):
    pre = kv.get("tokenizer.ggml.pre", "default")
    if pre not in ("gpt-2", "mpt"):
        raise SystemExit("pre-tokenizer %r: only GPT-2's regex (gpt-2, mpt) has a ByteLevel-only layout" % pre)
    added = [added_token(i, t, types[i] == TYPE_CONTROL, False) for i, t in enumerate(tokens)
             if types[i] in (TYPE_CONTROL, TYPE_USER_DEFINED)]
    vocab = {t: i for i, t in enumerate(tokens)}
    tok = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": kv["tokenizer.ggml.merges"]},
    }
    bos = tokens[kv.get("tokenizer.ggml.bos_token_id", 0)]
    eos = tokens[kv.get("tokenizer.ggml.eos_token_id", 0)]
    config = {"add_bos_token": False, "add_eos_token": False, "bos_token": bos, "eos_token": eos}
    return tok, config


def sentencepiece(kv, tokens, types):
    scores = kv["tokenizer.ggml.scores"]
    vocab = {t: i for i, t in enumerate(tokens)}
    merges = []
    for piece, i in vocab.items():
        local = []
        for k in range(1, len(piece)):
            left, right = piece[:k], piece[k:]
            if left in vocab and right in vocab:
                local.append((left, right, scores[i]))
        local.sort(key=lambda m: (vocab[m[0]], vocab[m[1]]))
        merges.extend(local)
    merges.sort(key=lambda m: m[2], reverse=True)  # stable: ties keep the order above
    unk = tokens[kv.get("tokenizer.ggml.unknown_token_id", 0)]
    bos = tokens[kv.get("tokenizer.ggml.bos_token_id", 1)]
    eos = tokens[kv.get("tokenizer.ggml.eos_token_id", 2)]
    added = [added_token(i, t, types[i] in (TYPE_CONTROL, TYPE_UNKNOWN), False) for i, t in enumerate(tokens)
             if types[i] in (TYPE_CONTROL, TYPE_USER_DEFINED, TYPE_UNKNOWN)]
    sp = "\u2581"
    tok = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": sp},
            {"type": "Replace", "pattern": {"String": " "}, "content": sp}]},
        "pre_tokenizer": None,
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                    {"SpecialToken": {"id": bos, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                           "special_tokens": {bos: {"id": bos, "ids": [vocab[bos]], "tokens": [bos]}}},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": sp}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": unk, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                  "vocab": vocab, "merges": [[l, r] for l, r, _ in merges]},
    }
    config = {"add_bos_token": True, "add_eos_token": False, "bos_token": bos, "eos_token": eos,
              "unk_token": unk, "legacy": True, "tokenizer_class": "LlamaTokenizer"}
    return tok, config


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    kv = read_gguf_kv(sys.argv[1])
    tokens = kv["tokenizer.ggml.tokens"]
    types = kv.get("tokenizer.ggml.token_type", [1] * len(tokens))
    model = kv.get("tokenizer.ggml.model")
    if model == "gpt2":
        tok, config = byte_level(kv, tokens, types)
    elif model == "llama":
        tok, config = sentencepiece(kv, tokens, types)
    else:
        raise SystemExit("tokenizer.ggml.model %r is not converted" % model)
    os.makedirs(sys.argv[2], exist_ok=True)
    for name, obj in (("tokenizer.json", tok), ("tokenizer_config.json", config)):
        tmp = os.path.join(sys.argv[2], name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(obj, f, ensure_ascii=False)
        os.replace(tmp, os.path.join(sys.argv[2], name))


if __name__ == "__main__":
    main()
