#!/bin/sh
# Cross-check of quench-cli export-gguf against llama-quantize on models beyond the shared test
# files: every type Quench writes (--type, i.e. --pure) and every llama-quantize mix whose types
# Quench writes (--mix), each without and with an importance matrix, compared byte for byte
# (whole files). Too slow for CTest; its output is recorded in the README.
#
# Models:
#  - stories260K.gguf (../shared/data/models: a trained Llama; rows of 64 and 172, so K-quants fall
#    back to 32-blocks and 172-wide rows to F16), imatrix from llama-imatrix on persuasion-head.txt;
#  - odd.gguf, written here: 2 blocks of a Llama with 4 experts in block 0 (3-D expert tensors, a
#    router) and a dense block 1 whose 100-wide ffn_down fits no block type; rows of 320 and 96;
#    untied output; its imatrix (GGUF) has per-expert sums and one expert that saw no token;
#  - source-f32.gguf (../shared/data/gguf/llama-quantize), with the mixes the shared files lack.
# Usage: tools/check_ggml_export.sh BUILD_DIR   (LLAMA_BIN defaults to /work/ext/llama.cpp/build/bin)
set -eu
BUILD=$(cd "${1:-build}" && pwd)
LLAMA=${LLAMA_BIN:-/work/ext/llama.cpp/build/bin}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${QUENCH_SHARED_DATA:-$ROOT/../shared/data}
CLI="$BUILD/app/cli/quench-cli"
DIR=$(mktemp -d /tmp/quench-ggml-check.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
cd "$DIR"

cp "$SHARED/models/stories260K-gguf/stories260K.gguf" stories.gguf
cp "$SHARED/gguf/llama-quantize/source-f32.gguf" source.gguf
cp "$SHARED/gguf/llama-quantize/imatrix.gguf" source.imatrix.gguf
"$LLAMA/llama-imatrix" -m stories.gguf -f "$SHARED/llamacpp/persuasion-head.txt" -c 128 -t 2 -o stories.imatrix.gguf >/dev/null 2>&1

/usr/bin/python3 - <<'PYEOF'
# odd.gguf and odd.imatrix.gguf: GGUF v3 written with the standard library only.
import random, struct
random.seed(5)
def s(x): b = x.encode(); return struct.pack('<Q', len(b)) + b
def kv_u32(k, v): return s(k) + struct.pack('<II', 4, v)
def kv_f32(k, v): return s(k) + struct.pack('<If', 6, v)
def kv_str(k, v): return s(k) + struct.pack('<I', 8) + s(v)
def gguf(kvs, tensors):
    out = b'GGUF' + struct.pack('<IQQ', 3, len(tensors), len(kvs)) + b''.join(kvs)
    off, datas = 0, []
    for name, ne, data in tensors:
        out += s(name) + struct.pack('<I', len(ne)) + b''.join(struct.pack('<Q', n) for n in ne) + struct.pack('<IQ', 0, off)
        off += (len(data) + 31) // 32 * 32
        datas.append(data)
    out += b'\0' * ((-len(out)) % 32)
    for d in datas: out += d + b'\0' * ((-len(d)) % 32)
    return out
def f32(n, scale=0.02):
    # Gaussian weights with a few large outliers, as real matrices have.
    v = [random.gauss(0, scale) for _ in range(n)]
    for _ in range(max(1, n // 500)): v[random.randrange(n)] *= 30
    return struct.pack('<%df' % n, *v)
def ones(n): return struct.pack('<%df' % n, *[1.0 + random.random() * 0.1 for _ in range(n)])
E, D, F, FD, V, KV = 4, 320, 96, 100, 64, 64
t = [('token_embd.weight', [D, V], f32(D * V)), ('output.weight', [D, V], f32(D * V)), ('output_norm.weight', [D], ones(D))]
for b in range(2):
    p = 'blk.%d.' % b
    t += [(p + 'attn_norm.weight', [D], ones(D)), (p + 'attn_q.weight', [D, D], f32(D * D)), (p + 'attn_k.weight', [D, KV], f32(D * KV)),
          (p + 'attn_v.weight', [D, KV], f32(D * KV)), (p + 'attn_output.weight', [D, D], f32(D * D)), (p + 'ffn_norm.weight', [D], ones(D))]
    if b == 0:
        t += [(p + 'ffn_gate_inp.weight', [D, E], f32(D * E)), (p + 'ffn_gate_exps.weight', [D, F, E], f32(D * F * E)),
              (p + 'ffn_up_exps.weight', [D, F, E], f32(D * F * E)), (p + 'ffn_down_exps.weight', [F, D, E], f32(F * D * E))]
    else:
        t += [(p + 'ffn_gate.weight', [D, FD], f32(D * FD)), (p + 'ffn_up.weight', [D, FD], f32(D * FD)), (p + 'ffn_down.weight', [FD, D], f32(FD * D))]
kvs = [kv_str('general.architecture', 'llama'), kv_str('general.name', 'quench odd shapes'), kv_u32('llama.context_length', 256),
       kv_u32('llama.embedding_length', D), kv_u32('llama.block_count', 2), kv_u32('llama.feed_forward_length', F),
       kv_u32('llama.rope.dimension_count', 64), kv_u32('llama.attention.head_count', 5), kv_u32('llama.attention.head_count_kv', 1),
       kv_f32('llama.attention.layer_norm_rms_epsilon', 1e-5), kv_u32('llama.expert_count', E), kv_u32('llama.expert_used_count', 2),
       kv_u32('general.file_type', 0)]
open('odd.gguf', 'wb').write(gguf(kvs, t))
def sq(n): return struct.pack('<%df' % n, *[random.random() ** 3 * 50 for _ in range(n)])
im = []
for name, ne, _ in sorted(t, key=lambda x: x[0]):
    if len(ne) < 2 or 'norm' in name or name in ('token_embd.weight', 'output.weight') or 'gate_inp' in name: continue
    nmat = ne[2] if len(ne) > 2 else 1
    counts = [512.0] * nmat
    if nmat > 1: counts[2] = 0.0  # expert 2 never routed to
    im += [(name + '.in_sum2', [ne[0], nmat], sq(ne[0] * nmat)), (name + '.counts', [1, nmat], struct.pack('<%df' % nmat, *counts))]
ikv = [kv_str('general.type', 'imatrix'), s('imatrix.datasets') + struct.pack('<IIQ', 9, 8, 1) + s('synthetic'),
       kv_u32('imatrix.chunk_count', 1), kv_u32('imatrix.chunk_size', 512)]
# ggml_n_dims: a trailing dimension of 1 is not written.
open('odd.imatrix.gguf', 'wb').write(gguf(ikv, [(n, ne if ne[1] != 1 else [ne[0]], d) for n, ne, d in im]))
PYEOF

TYPES="F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K Q4_K Q5_K Q6_K IQ4_NL IQ4_XS"
MIXES="Q2_K Q2_K_S Q3_K_S Q3_K_M Q3_K_L Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 IQ4_NL IQ4_XS"
same=0; differ=0; both_refuse=0; quench_only_refuses=0
check() {  # model mode type imatrix(or -)
  m=$1 mode=$2 t=$3 im=$4
  pure=""; [ "$mode" = type ] && pure="--pure"
  imq=""; iml=""; [ "$im" != - ] && { imq="--imatrix $im"; iml="--imatrix $im"; }
  # shellcheck disable=SC2086
  "$LLAMA/llama-quantize" $pure $iml "$m.gguf" l.gguf "$t" 2 >l.log 2>&1 && lok=1 || lok=0
  # shellcheck disable=SC2086
  "$CLI" export-gguf "$m.gguf" --$mode "$t" $imq --out q.gguf --quiet >q.log 2>&1 && qok=1 || qok=0
  if [ $lok = 1 ] && [ $qok = 1 ]; then
    if cmp -s l.gguf q.gguf; then r="identical"; same=$((same + 1)); else r="DIFFER"; differ=$((differ + 1)); fi
  elif [ $lok = 0 ] && [ $qok = 0 ]; then r="both refuse"; both_refuse=$((both_refuse + 1))
  elif [ $qok = 0 ]; then r="quench refuses: $(tail -1 q.log | cut -c1-110)"; quench_only_refuses=$((quench_only_refuses + 1))
  else r="llama.cpp refuses, quench wrote"; differ=$((differ + 1)); fi
  printf '%-8s %-5s %-7s %-19s %s\n' "$m" "$mode" "$t" "$(basename "$im")" "$r"
  rm -f l.gguf q.gguf
}
for m in stories odd source; do
  for im in - "$m.imatrix.gguf"; do
    for t in $TYPES; do check "$m" type "$t" "$im"; done
    for t in $MIXES; do check "$m" mix "$t" "$im"; done
  done
done
echo "identical: $same, different: $differ, refused by both: $both_refuse, refused by Quench only: $quench_only_refuses"
[ "$differ" -eq 0 ]
