#!/usr/bin/python3
"""Writes the committed seed corpora of broken files for the reader fuzzers:
tests/fuzz/corpus/{safetensors,safetensors_index,npy,npz,hdf5}/. Each seed is a small valid file from
tests/data/io/ (run tools/make_test_files.py first) or a deliberately broken variant of one:
truncated, with a lying length/offset/shape, a flipped byte, a wrong CRC. The fuzzers start from
these and mutate further.

Run from the repository root:  /usr/bin/python3 tools/make_fuzz_corpus.py
"""
import json
import os
import struct

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DATA = os.path.join(ROOT, "tests", "data", "io")
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def read(rel):
    with open(os.path.join(DATA, rel), "rb") as f:
        return f.read()


def read_abs(path):
    with open(path, "rb") as f:
        return f.read()


def write(reader, name, data):
    d = os.path.join(CORPUS, reader)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def st(header, data=b""):
    text = json.dumps(header).encode() if not isinstance(header, bytes) else header
    return struct.pack("<Q", len(text)) + text + data


def safetensors():
    good = read("all_dtypes.safetensors")
    write("safetensors", "valid_all_dtypes", good)
    write("safetensors", "truncated_half", good[: len(good) // 2])
    write("safetensors", "truncated_header", good[:40])
    write("safetensors", "length_past_end", struct.pack("<Q", 1 << 40) + good[8:])
    w = {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}
    data = np.arange(4, dtype="<f4").tobytes()
    write("safetensors", "valid_small", st({"w": w, "__metadata__": {"a": "b"}}, data))
    write("safetensors", "offsets_out_of_range", st({"w": dict(w, data_offsets=[0, 4096])}, data))
    write("safetensors", "size_mismatch", st({"w": dict(w, shape=[3, 2])}, data))
    write("safetensors", "shape_overflow", st({"w": dict(w, shape=[1 << 32, 1 << 32, 16])}, data))
    write("safetensors", "unknown_dtype", st({"w": dict(w, dtype="F4")}, data))
    write("safetensors", "bf16_f8", st({"b": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]},
                                        "e": {"dtype": "F8_E4M3", "shape": [4], "data_offsets": [4, 8]},
                                        "m": {"dtype": "F8_E5M2", "shape": [8], "data_offsets": [8, 16]}}, data))
    write("safetensors", "overlap", st({"a": w, "b": dict(w, data_offsets=[8, 24])}, data + data))
    write("safetensors", "not_json", st(b"{\"w\": [", data))
    write("safetensors", "deep_nesting", st(b"[" * 2000 + b"]" * 2000))
    write("safetensors", "nan_inf", st({"w": w}, np.array([np.nan, np.inf, -np.inf, -0.0], dtype="<f4").tobytes()))


def safetensors_index():
    """Seeds of fuzz_safetensors_index: index JSON, a NUL byte, then the bytes every shard opens to."""
    w = {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}
    data = np.arange(4, dtype="<f4").tobytes()
    shard = st({"w": w, "__metadata__": {"format": "pt"}}, data)
    two = st({"w": w, "v": dict(w, dtype="BF16", shape=[4], data_offsets=[16, 24])}, data + data[:8])
    s1, s2 = "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"

    def idx(obj):
        return json.dumps(obj).encode() if not isinstance(obj, bytes) else obj

    write("safetensors_index", "valid_one_shard", idx({"metadata": {"total_size": 16}, "weight_map": {"w": s1}}) + b"\0" + shard)
    write("safetensors_index", "valid_two_tensors", idx({"weight_map": {"w": s1, "v": s1}}) + b"\0" + two)
    write("safetensors_index", "two_shards_same_bytes", idx({"weight_map": {"w": s1, "v": s2}}) + b"\0" + two)
    write("safetensors_index", "listed_not_present", idx({"weight_map": {"w": s1, "ghost": s1}}) + b"\0" + shard)
    write("safetensors_index", "present_not_listed", idx({"weight_map": {"v": s1}}) + b"\0" + two)
    write("safetensors_index", "listed_twice", b'{"weight_map": {"w": "%s", "w": "%s"}}' % (s1.encode(), s2.encode()) + b"\0" + shard)
    write("safetensors_index", "path_separator", idx({"weight_map": {"w": "../" + s1}}) + b"\0" + shard)
    write("safetensors_index", "dotdot", idx({"weight_map": {"w": ".."}}))
    write("safetensors_index", "weight_map_array", idx({"weight_map": [s1]}))
    write("safetensors_index", "weight_map_number", idx({"weight_map": {"w": 3}}))
    write("safetensors_index", "metadata_nested", idx({"metadata": {"a": {"b": [1, 2.5, None, True]}}, "weight_map": {}}))
    write("safetensors_index", "many_shards", idx({"weight_map": {"t%d" % i: "s%d.safetensors" % i for i in range(300)}}))
    write("safetensors_index", "truncated_shard", idx({"weight_map": {"w": s1}}) + b"\0" + shard[:-3])
    write("safetensors_index", "not_json", b'{"weight_map": {"w": ')
    write("safetensors_index", "deep_nesting", b'{"metadata": ' + b"[" * 2000 + b"]" * 2000 + b"}")
    write("safetensors", "duplicate_key", st(b'{"w": %s, "w": %s}' % (json.dumps(w).encode(), json.dumps(w).encode()), data))


def npy_file(header, data=b""):
    text = header.encode() + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + data


def npy():
    for rel in ["float_be_f2.npy", "int_le_u8.npy", "fortran.npy", "v3.npy", "bool.npy", "scalar.npy"]:
        write("npy", "valid_" + rel.replace(".npy", ""), read("npy/" + rel))
    good = read("npy/float_le_f4.npy")
    write("npy", "truncated_data", good[:-5])
    write("npy", "truncated_header", good[:40])
    write("npy", "header_len_past_end", good[:8] + b"\xff\xff" + good[10:])
    write("npy", "shape_lie", good.replace(b"(3, 4)", b"(9, 4)"))
    write("npy", "shape_overflow", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }"))
    write("npy", "bad_descr", good.replace(b"<f4", b"<c8"))
    write("npy", "structured", npy_file("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", b"\0" * 8))
    write("npy", "fortran_3d_be", npy_file("{'descr': '>i2', 'fortran_order': True, 'shape': (2, 1, 3), }", bytes(range(12))))
    write("npy", "version_9", good[:6] + b"\x09" + good[7:])


def npz():
    for rel in ["stored.npz", "deflated.npz", "plain_zip.npz"]:
        write("npz", "valid_" + rel.replace(".npz", ""), read(rel))
    good = read("deflated.npz")
    write("npz", "truncated_half", good[: len(good) // 2])
    write("npz", "truncated_tail", good[:-10])
    flipped = bytearray(read("stored.npz"))
    flipped[200] ^= 0x55  # inside the first member's data: CRC mismatch on read
    write("npz", "crc_mismatch", bytes(flipped))
    bomb = bytearray(good)
    end = bytes(bomb).rfind(b"PK\x05\x06")
    cd = struct.unpack_from("<I", bomb, end + 16)[0]
    struct.pack_into("<I", bomb, cd + 24, 0x7FFFFFFF)  # claimed uncompressed size
    write("npz", "size_lie", bytes(bomb))
    corrupt = bytearray(good)
    corrupt[60] ^= 0xFF  # inside the first deflate stream
    write("npz", "deflate_corrupt", bytes(corrupt))


def hdf5():
    good = read("nested.h5")
    write("hdf5", "valid_nested", good)
    # Small files mutate faster than the 23 KB one: one dataset each kind, written by h5py.
    import h5py
    tmp = os.path.join(CORPUS, "hdf5", "tmp.h5")
    with h5py.File(tmp, "w", libver="earliest") as f:
        f.attrs["a"] = "b"
        f.create_dataset("g/w", data=np.arange(4, dtype="<f4"))
        f.create_dataset("h", data=np.arange(3, dtype=">f2"))
    write("hdf5", "valid_small_v0", read_abs(tmp))
    with h5py.File(tmp, "w", libver="latest") as f:
        f.create_dataset("z", data=np.arange(64, dtype="<i2"), chunks=(16,), compression="gzip", track_times=False)
    write("hdf5", "valid_small_latest_gzip", read_abs(tmp))
    os.remove(tmp)
    write("hdf5", "truncated_half", good[: len(good) // 2])
    write("hdf5", "superblock_only", good[:96])
    bad = bytearray(good)
    bad[13] = 3  # size of offsets
    write("hdf5", "bad_offset_width", bytes(bad))


def main():
    safetensors()
    safetensors_index()
    npy()
    npz()
    hdf5()


if __name__ == "__main__":
    main()
