#!/usr/bin/env python3
"""Seed corpora for fuzz_gguf, fuzz_ggml_blocks and fuzz_llama2c: small valid files plus broken
ones (truncated headers, huge counts, bad offsets, bad alignment, lying sizes), and raw block bytes.

Usage: python3 tools/make_fuzz_corpus_gguf.py [tests/fuzz/corpus]
Writes <out>/gguf/*.gguf, <out>/ggml_blocks/* and <out>/llama2c/*.bin; deterministic (a fixed
linear congruential generator, no other randomness), standard library only.
"""
import os
import struct
import sys

# GGUF metadata value types and ggml tensor types used below.
U8, I8, U16, I16, U32, I32, F32, BOOL, STR, ARR, U64, I64, F64 = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
T_F32, T_F16, T_Q4_0, T_Q8_0, T_Q4_K, T_BF16 = 0, 1, 2, 8, 12, 30
# Every ggml block type: id -> (name, elements per block, bytes per block) (ggml.h, ggml-common.h).
BLOCK_TYPES = {
    2: ('q4_0', 32, 18), 3: ('q4_1', 32, 20), 6: ('q5_0', 32, 22), 7: ('q5_1', 32, 24), 8: ('q8_0', 32, 34),
    9: ('q8_1', 32, 36), 10: ('q2_k', 256, 84), 11: ('q3_k', 256, 110), 12: ('q4_k', 256, 144),
    13: ('q5_k', 256, 176), 14: ('q6_k', 256, 210), 15: ('q8_k', 256, 292), 16: ('iq2_xxs', 256, 66),
    17: ('iq2_xs', 256, 74), 18: ('iq3_xxs', 256, 98), 19: ('iq1_s', 256, 50), 20: ('iq4_nl', 32, 18),
    21: ('iq3_s', 256, 110), 22: ('iq2_s', 256, 82), 23: ('iq4_xs', 256, 136), 29: ('iq1_m', 256, 56),
    34: ('tq1_0', 256, 54), 35: ('tq2_0', 256, 66), 39: ('mxfp4', 32, 17), 40: ('nvfp4', 64, 36),
    41: ('q1_0', 128, 18), 42: ('q2_0', 64, 18),
}


def lcg_bytes(n, seed):
    """n bytes from a 64-bit linear congruential generator (Knuth's MMIX constants)."""
    out = bytearray()
    x = seed
    for _ in range(n):
        x = (x * 6364136223846793005 + 1442695040888963407) % 2**64
        out.append(x >> 56)
    return bytes(out)


def gstr(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack('<Q', len(b)) + b


def kv(key, vtype, payload):
    return gstr(key) + struct.pack('<I', vtype) + payload


def tinfo(name, ne, ttype, offset):
    return gstr(name) + struct.pack('<I', len(ne)) + b''.join(struct.pack('<Q', n) for n in ne) + \
        struct.pack('<IQ', ttype, offset)


def gguf(kvs, infos, data, version=3, alignment=32, n_tensors=None, n_kv=None):
    head = b'GGUF' + struct.pack('<IQQ', version, len(infos) if n_tensors is None else n_tensors,
                                 len(kvs) if n_kv is None else n_kv)
    body = head + b''.join(kvs) + b''.join(infos)
    body += b'\0' * ((-len(body)) % alignment)
    return body + data


def pad(b, alignment=32):
    return b + b'\0' * ((-len(b)) % alignment)


def valid_gguf_parts():
    kvs = [
        kv('general.architecture', STR, gstr('llama')),
        kv('u8', U8, struct.pack('<B', 7)), kv('i8', I8, struct.pack('<b', -7)),
        kv('u16', U16, struct.pack('<H', 7)), kv('i16', I16, struct.pack('<h', -7)),
        kv('u32', U32, struct.pack('<I', 7)), kv('i32', I32, struct.pack('<i', -7)),
        kv('f32', F32, struct.pack('<f', 0.5)), kv('bool', BOOL, b'\x01'),
        kv('u64', U64, struct.pack('<Q', 7)), kv('i64', I64, struct.pack('<q', -7)),
        kv('f64', F64, struct.pack('<d', 0.25)),
        kv('tokens', ARR, struct.pack('<IQ', STR, 3) + gstr('<s>') + gstr('a"b') + gstr(b'\xff')),
        kv('nested', ARR, struct.pack('<IQ', ARR, 2) + struct.pack('<IQ', I32, 1) + struct.pack('<i', 1) +
           struct.pack('<IQ', F32, 1) + struct.pack('<f', 2.0)),
    ]
    f32 = struct.pack('<4f', 1, -2, 3, float('nan'))
    f16 = struct.pack('<4H', 0x3C00, 0xC000, 0x7C00, 0x0001)
    bf16 = struct.pack('<2H', 0x3FC0, 0xFF80)
    q8 = struct.pack('<H', 0x3800) + bytes(range(32))
    q4 = struct.pack('<H', 0x3400) + bytes(range(0, 256, 16))
    q4k = bytes(144)
    blobs = [('f32', [2, 2], T_F32, f32), ('f16', [4], T_F16, f16), ('bf16', [2], T_BF16, bf16),
             ('q8', [32], T_Q8_0, q8), ('q4', [32], T_Q4_0, q4), ('q4k', [256], T_Q4_K, q4k)]
    infos, data = [], b''
    for name, ne, t, blob in blobs:
        infos.append(tinfo(name, ne, t, len(data)))
        data = pad(data + blob)
    return kvs, infos, data


def gguf_corpus():
    kvs, infos, data = valid_gguf_parts()
    valid = gguf(kvs, infos, data)
    out = {
        'valid_v3.gguf': valid,
        'valid_v2.gguf': gguf(kvs, infos, data, version=2),
        'align64.gguf': gguf([kv('general.alignment', U32, struct.pack('<I', 64))],
                             [tinfo('a', [1], T_F32, 0), tinfo('b', [2], T_F32, 64)],
                             pad(struct.pack('<f', 1), 64) + struct.pack('<2f', 2, 3), alignment=64),
        'empty.gguf': b'',
        'magic_only.gguf': b'GGUF',
        'version1.gguf': gguf([], [], b'', version=1),
        'big_endian.gguf': b'GGUF' + struct.pack('>IQQ', 3, 0, 0),
        'huge_kv_count.gguf': gguf(kvs, [], b'', n_kv=2**63),
        'huge_tensor_count.gguf': gguf([], infos, data, n_tensors=2**40),
        'huge_array.gguf': gguf([kv('a', ARR, struct.pack('<IQ', U8, 2**62))], [], b''),
        'huge_string.gguf': gguf([kv('a', STR, struct.pack('<Q', 2**64 - 1))], [], b''),
        'huge_key.gguf': b'GGUF' + struct.pack('<IQQQ', 3, 0, 1, 2**63),
        'deep_nesting.gguf': gguf([kv('a', ARR, struct.pack('<IQ', ARR, 1) * 40 + struct.pack('<IQ', U8, 0))], [], b''),
        'bad_value_type.gguf': gguf([kv('a', 13, b'\0' * 8)], [], b''),
        'bad_bool.gguf': gguf([kv('a', BOOL, b'\x02')], [], b''),
        'align_zero.gguf': gguf([kv('general.alignment', U32, struct.pack('<I', 0))], [], b''),
        'align_48.gguf': gguf([kv('general.alignment', U32, struct.pack('<I', 48))], [], b''),
        'align_wrong_type.gguf': gguf([kv('general.alignment', U64, struct.pack('<Q', 32))], [], b''),
        'misaligned_offset.gguf': gguf([], [tinfo('a', [4], T_F32, 4)], bytes(64)),
        'offset_past_end.gguf': gguf([], [tinfo('a', [4], T_F32, 2**64 - 32)], bytes(64)),
        'size_past_end.gguf': gguf([], [tinfo('a', [1000], T_F32, 0)], bytes(64)),
        'shape_overflow.gguf': gguf([], [tinfo('a', [2**32, 2**32, 2**32, 2], T_F32, 0)], bytes(64)),
        'negative_dim.gguf': gguf([], [tinfo('a', [2**64 - 1], T_F32, 0)], bytes(64)),
        'five_dims.gguf': gguf([], [tinfo('a', [1] * 5, T_F32, 0)], bytes(64)),
        'zero_dims.gguf': gguf([], [tinfo('a', [], T_F32, 0)], bytes(64)),
        'partial_block.gguf': gguf([], [tinfo('a', [16], T_Q8_0, 0)], bytes(64)),
        'unknown_type.gguf': gguf([], [tinfo('a', [4], 77, 0)], bytes(64)),
        'duplicate_tensor.gguf': gguf([], [tinfo('a', [1], T_F32, 0), tinfo('a', [1], T_F32, 32)], bytes(64)),
        'duplicate_key.gguf': gguf([kv('a', U8, b'\1'), kv('a', U8, b'\1')], [], b''),
        'no_data_section.gguf': gguf([], infos, b''),
    }
    # One tensor of every block type (2 rows of one block each, random codes and scales); the
    # same with the innermost dimension one element short of a block.
    infos, data = [], b''
    for tid, (name, elems, nbytes) in BLOCK_TYPES.items():
        infos.append(tinfo(name, [elems, 2], tid, len(data)))
        data = pad(data + lcg_bytes(2 * nbytes, tid))
    out['every_block_type.gguf'] = gguf([kv('general.architecture', STR, gstr('llama'))], infos, data)
    out['partial_k_block.gguf'] = gguf([], [tinfo('a', [255], 12, 0)], bytes(160))
    out['vocab_only.gguf'] = gguf([kv('tokenizer.ggml.model', STR, gstr('gpt2')),
                                   kv('tokenizer.ggml.tokens', ARR, struct.pack('<IQ', STR, 3) + gstr('a') + gstr('b') + gstr('ab')),
                                   kv('tokenizer.ggml.merges', ARR, struct.pack('<IQ', STR, 1) + gstr('a b'))], [], b'')
    # Truncations of the valid file: inside the header, the metadata, the tensor infos, the data.
    for cut in (3, 8, 23, 40, 100, 300, len(valid) // 2, len(valid) - 1):
        out['truncated_%d.gguf' % cut] = valid[:cut]
    return out


def llama2c(header, n_floats):
    return struct.pack('<7i', *header) + struct.pack('<%df' % n_floats, *[float(i) for i in range(n_floats)])


def llama2c_corpus():
    # dim 4, hidden 6, 1 layer, 2 heads, 1 kv head, vocab 3, seq_len 2: 148 floats (+12 unshared).
    shared = (4, 6, 1, 2, 1, 3, 2)
    unshared = (4, 6, 1, 2, 1, -3, 2)
    ok_shared = llama2c(shared, 148)
    out = {
        'shared.bin': ok_shared,
        'unshared.bin': llama2c(unshared, 160),
        'empty.bin': b'',
        'header_only.bin': struct.pack('<7i', *shared),
        'short_header.bin': struct.pack('<3i', 4, 6, 1),
        'one_float_short.bin': ok_shared[:-4],
        'one_float_long.bin': ok_shared + b'\0\0\0\0',
        'unshared_missing_wcls.bin': llama2c(unshared, 148),
        'zero_dim.bin': llama2c((0, 6, 1, 2, 1, 3, 2), 16),
        'negative_layers.bin': llama2c((4, 6, -1, 2, 1, 3, 2), 16),
        'int_min_vocab.bin': llama2c((4, 6, 1, 2, 1, -2**31, 2), 16),
        'huge_everything.bin': llama2c((2**31 - 1,) * 7, 16),
        'plausible_but_huge.bin': llama2c((65536, 2**20, 4096, 2, 1, 2**24, 2**24), 16),
        'heads_not_dividing.bin': llama2c((6, 6, 1, 4, 1, 3, 2), 16),
        'kv_not_dividing.bin': llama2c((12, 6, 1, 3, 2, 3, 2), 16),
        'odd_head.bin': llama2c((6, 6, 1, 2, 1, 3, 2), 16),
    }
    return out


def ggml_blocks_corpus():
    # Raw bytes decoded as every block type by fuzz_ggml_blocks: lengths that are whole blocks of
    # several types (292 = Q8_K, 1728 = lcm-ish of many), all-zero, all-ones (every index at its
    # table's end, every sign set), and random.
    return {
        'zeros_292': bytes(292),
        'ones_1728': b'\xff' * 1728,
        'random_4096': lcg_bytes(4096, 1),
        'random_111': lcg_bytes(111, 2),
        'alternating_576': b'\x55\xaa' * 288,
    }


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', 'tests', 'fuzz', 'corpus')
    for sub, files in (('gguf', gguf_corpus()), ('ggml_blocks', ggml_blocks_corpus()), ('llama2c', llama2c_corpus())):
        d = os.path.join(root, sub)
        os.makedirs(d, exist_ok=True)
        for name, blob in files.items():
            with open(os.path.join(d, name), 'wb') as f:
                f.write(blob)
        print('%s: %d files' % (d, len(files)))


if __name__ == '__main__':
    main()
