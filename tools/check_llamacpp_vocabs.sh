#!/usr/bin/env bash
# Runs llama.cpp's tokenizer test set (models/ggml-vocab-*.gguf with .inp/.out, the cases of its
# test-tokenizer-0) through `quench-cli tokenize VOCAB --no-bos --text=CASE`, one process per case,
# and prints pass/fail per vocabulary. Vocabularies without a .gguf (or without .inp/.out) are
# listed as missing. The vocabulary files are read in place, never copied into this repository.
#   tools/check_llamacpp_vocabs.sh LLAMA_CPP_DIR BUILD_DIR [NAME...]
# Exit status: 0 when every available vocabulary passes.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 LLAMA_CPP_DIR BUILD_DIR [NAME...]" >&2
  exit 2
fi
llama=$1
build=$2
shift 2
cli="$build/app/cli/quench-cli"
[ -x "$cli" ] || { echo "no $cli (build the quench-cli target)" >&2; exit 2; }
exec python3 - "$llama/models" "$cli" "$@" <<'PY'
import os, subprocess, sys
models, cli, only = sys.argv[1], sys.argv[2], sys.argv[3:]
sep = "\n__ggml_vocab_test__\n"
names = sorted({f[len("ggml-vocab-"):].split(".gguf")[0] for f in os.listdir(models) if f.startswith("ggml-vocab-")})
if only:
    names = [n for n in names if n in only]
failed = 0
for name in names:
    base = os.path.join(models, "ggml-vocab-%s.gguf" % name)
    if not (os.path.exists(base + ".inp") and os.path.exists(base + ".out")):
        print("%-16s no test cases" % name)
        continue
    if not os.path.exists(base):
        print("%-16s missing vocabulary (only .inp/.out present)" % name)
        continue
    raw = open(base + ".inp", "rb").read().decode("utf-8")
    cases, pos = [], 0
    while pos < len(raw):  # as test-tokenizer-0 reads the file
        nxt = raw.find(sep, pos)
        if nxt < 0:
            cases.append(raw[pos:]); break
        cases.append(raw[pos:nxt]); pos = nxt + len(sep)
    expected = [l.strip() for l in open(base + ".out", encoding="utf-8").read().split("\n")][: len(cases)]
    bad = []
    for i, (case, want) in enumerate(zip(cases, expected)):
        arg = ["--text=" + case] if case.startswith("-") else ["--text", case]  # "-..." would read as an option
        r = subprocess.run([cli, "tokenize", base, "--no-bos"] + arg, capture_output=True)
        got = r.stdout.decode().strip()
        if r.returncode != 0 or got != " ".join(want.split()):
            bad.append((i, case, want, got or r.stderr.decode().strip()))
    if bad:
        failed += 1
        print("%-16s FAIL %d of %d cases" % (name, len(bad), len(cases)))
        for i, case, want, got in bad[:5]:
            print("    case %d %r\n      llama.cpp: %s\n      quench:    %s" % (i, case[:60], want[:200], got[:200]))
    else:
        print("%-16s pass %d of %d cases" % (name, len(cases), len(cases)))
sys.exit(1 if failed else 0)
PY
