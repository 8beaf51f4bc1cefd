#!/usr/bin/python3
"""Hostile sizes (issue 18): files whose headers declare absurd sizes, run through quench-cli under
an address-space limit of 2 GiB (RLIMIT_AS, i.e. `ulimit -v 2097152`). CTest: app_cli_hostile_sizes
(Release build only: AddressSanitizer reserves terabytes of shadow address space and cannot run
under RLIMIT_AS).

Every case must end with exit code 1 and one clear message on stderr naming the file, never a
signal, an uncaught exception (std::bad_alloc, std::length_error) or an out-of-memory abort: an
allocation sized by the hostile number would exceed the limit and show up as one of those. The
files are written here with struct/json (h5py for the HDF5 case when it is installed), small or
sparse (a 4 GiB tokenizer.json occupies no disk blocks):

  - a safetensors header declaring 10^12 elements; a header length of 10^12; a 4 GiB header;
  - a GGUF tensor of 10^12 elements; 10^12 tensors; 10^12 key/values; a tokenizer.ggml.tokens array
    of 10^9 strings; an array value nested 10^5 deep;
  - a .npy of shape (10^6, 10^6); a .npz holding it; a .npz entry declaring 10^12 bytes;
  - an HDF5 dataset of shape (10^6, 10^6) (chunked, never written: the file is a few KiB);
  - a model.safetensors.index.json naming 10^6 shard files;
  - JSON nested 10^5 deep as a recipe, a tokenizer.json, a config.json, an explicit LM, a
    safetensors header and a shard index;
  - a 4 GiB tokenizer.json, config.json, recipe and explicit LM (sparse files).

Usage: /usr/bin/python3 tools/check_hostile_sizes.py PATH/TO/quench-cli
"""
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time

LIMIT = 2 << 30  # bytes of address space for quench-cli
DEEP = 100_000   # JSON nesting depth
HUGE = 10**12    # declared elements / counts
FOUR_GIB = 4 << 30


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


# --- file builders ---------------------------------------------------------------------------

def safetensors(path, header_bytes, data=b""):
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)) + header_bytes + data)


def gguf_str(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf(path, kv=b"", n_kv=0, tensors=b"", n_tensors=0, data=b""):
    head = b"GGUF" + struct.pack("<IQQ", 3, n_tensors, n_kv) + kv + tensors
    head += b"\0" * (-len(head) % 32)
    with open(path, "wb") as f:
        f.write(head + data)


def gguf_kv_string(key, value):
    return gguf_str(key) + struct.pack("<I", 8) + gguf_str(value)


def npy_bytes(shape, descr="<f4", data=b""):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, repr(tuple(shape)))
    header += " " * (-(10 + len(header) + 1) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + data


def zip_stored(path, name, payload, declared_size=None):
    """A one-entry ZIP (stored, no compression); `declared_size` overrides the sizes in both headers."""
    import zlib
    size = len(payload) if declared_size is None else declared_size
    crc = zlib.crc32(payload)
    n = name.encode()
    sz32 = min(size, 0xFFFFFFFF)
    extra = b""
    if size >= 0xFFFFFFFF:  # ZIP64 sizes
        extra = struct.pack("<HHQQ", 1, 16, size, size)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, crc, sz32, sz32, len(n), len(extra)) + n + extra
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0, crc, sz32, sz32, len(n),
                          len(extra), 0, 0, 0, 0, 0) + n + extra
    body = local + payload
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(body), 0)
    with open(path, "wb") as f:
        f.write(body + central + end)


def deep_json(depth, inner="1"):
    return "[" * depth + inner + "]" * depth


def deep_object(depth):
    return '{"a":' * depth + "1" + "}" * depth


def sparse(path, size, head=b""):
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(size)


# --- the cases -------------------------------------------------------------------------------

def build_cases(d):
    """(label, argv after quench-cli, file the message must name)"""
    cases = []
    p = lambda *a: os.path.join(d, *a)  # noqa: E731
    os.makedirs(p("in"), exist_ok=True)
    out = p("in", "out.safetensors")

    f = p("st_numel.safetensors")
    safetensors(f, json.dumps({"w": {"dtype": "F32", "shape": [10**6, 10**6],
                                     "data_offsets": [0, 4 * HUGE]}}).encode(), b"\0" * 16)
    cases += [("safetensors 10^12 elements: inspect", ["inspect", f], f),
              ("safetensors 10^12 elements: convert", ["convert", f, out], f)]
    f = p("st_numel_short.safetensors")
    safetensors(f, json.dumps({"w": {"dtype": "F32", "shape": [10**6, 10**6],
                                     "data_offsets": [0, 16]}}).encode(), b"\0" * 16)
    cases.append(("safetensors 10^12 elements, 16 bytes of data", ["inspect", f], f))
    f = p("st_headerlen.safetensors")
    with open(f, "wb") as fh:
        fh.write(struct.pack("<Q", HUGE) + b'{"w":{}}')
    cases.append(("safetensors header length 10^12", ["inspect", f], f))
    f = p("st_header4g.safetensors")
    sparse(f, FOUR_GIB + 8, struct.pack("<Q", FOUR_GIB) + b"{")
    cases.append(("safetensors header of 4 GiB (sparse)", ["inspect", f], f))
    f = p("st_deep.safetensors")
    safetensors(f, ('{"__metadata__":' + deep_object(DEEP) + "}").encode())
    cases.append(("safetensors header nested 10^5 deep", ["inspect", f], f))

    # GGUF
    f = p("numel.gguf")
    t = gguf_str("w") + struct.pack("<I", 2) + struct.pack("<QQ", 10**6, 10**6) + struct.pack("<IQ", 0, 0)
    gguf(f, tensors=t, n_tensors=1, data=b"\0" * 32)
    cases += [("GGUF tensor of 10^12 elements: inspect", ["inspect", f], f),
              ("GGUF tensor of 10^12 elements: convert", ["convert", f, out], f)]
    f = p("ntensors.gguf")
    gguf(f, n_tensors=HUGE, data=b"\0" * 64)
    cases.append(("GGUF declaring 10^12 tensors", ["inspect", f], f))
    f = p("nkv.gguf")
    gguf(f, n_kv=HUGE, data=b"\0" * 64)
    cases.append(("GGUF declaring 10^12 key/values", ["inspect", f], f))
    f = p("vocab.gguf")
    kv = gguf_kv_string("general.architecture", "llama") + gguf_kv_string("tokenizer.ggml.model", "llama")
    kv += gguf_str("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, 10**9)
    kv += b"".join(gguf_str("t%d" % i) for i in range(64))
    gguf(f, kv=kv, n_kv=3)
    cases += [("GGUF vocabulary of 10^9 tokens: tokenize", ["tokenize", f, "--text", "hi"], f),
              ("GGUF vocabulary of 10^9 tokens: inspect", ["inspect", f], f)]
    f = p("deep_array.gguf")
    kv = gguf_str("general.architecture") + struct.pack("<I", 8) + gguf_str("llama")
    kv += gguf_str("deep") + struct.pack("<I", 9) + struct.pack("<IQ", 9, 1) * (DEEP - 1) + struct.pack("<IQ", 4, 1)
    kv += struct.pack("<I", 7)
    gguf(f, kv=kv, n_kv=2)
    cases += [("GGUF array nested 10^5 deep: inspect", ["inspect", f], f),
              ("GGUF array nested 10^5 deep: tokenize", ["tokenize", f, "--text", "hi"], f)]

    # NumPy
    f = p("big.npy")
    with open(f, "wb") as fh:
        fh.write(npy_bytes((10**6, 10**6), data=b"\0" * 64))
    cases += [("npy of shape (10^6, 10^6): inspect", ["inspect", f], f),
              ("npy of shape (10^6, 10^6): convert", ["convert", f, out], f)]
    f = p("big.npz")
    zip_stored(f, "w.npy", npy_bytes((10**6, 10**6), data=b"\0" * 64))
    cases += [("npz holding a (10^6, 10^6) array: inspect", ["inspect", f], f),
              ("npz holding a (10^6, 10^6) array: convert", ["convert", f, out], f)]
    f = p("entry.npz")
    zip_stored(f, "w.npy", npy_bytes((4,), data=b"\0" * 16), declared_size=HUGE)
    cases.append(("npz entry declaring 10^12 bytes", ["convert", f, out], f))

    # HDF5: a chunked dataset of 10^12 float32 that was never written (fill value) is a tiny file.
    try:
        import h5py  # noqa: F401
        f = p("big.h5")
        with h5py.File(f, "w") as h:
            h.create_dataset("w", shape=(10**6, 10**6), dtype="<f4", chunks=(1, 1024))
        cases += [("HDF5 dataset of 10^12 elements: inspect --stats", ["inspect", "--stats", f], f),
                  ("HDF5 dataset of 10^12 elements: convert", ["convert", f, out], f)]
    except ImportError:
        print("note: h5py missing, HDF5 case skipped")

    # A shard index naming 10^6 shard files (about 50 MB of JSON).
    idx = p("shards")
    os.makedirs(idx, exist_ok=True)
    with open(os.path.join(idx, "model.safetensors.index.json"), "w") as fh:
        fh.write('{"metadata": {}, "weight_map": {')
        fh.write(",".join('"t%d": "model-%07d.safetensors"' % (i, i) for i in range(10**6)))
        fh.write("}}")
    cases.append(("shard index naming 10^6 files", ["inspect", idx], "model.safetensors.index.json"))
    deepidx = p("deepshards")
    os.makedirs(deepidx, exist_ok=True)
    with open(os.path.join(deepidx, "model.safetensors.index.json"), "w") as fh:
        fh.write('{"metadata": ' + deep_object(DEEP) + ', "weight_map": {}}')
    cases.append(("shard index nested 10^5 deep", ["inspect", deepidx], "model.safetensors.index.json"))

    # JSON nested 10^5 deep, and 4 GiB JSON files (sparse: "{" then 4 GiB of NUL bytes).
    small = p("small.npy")
    with open(small, "wb") as fh:
        fh.write(npy_bytes((2, 2), data=struct.pack("<4f", 1, 2, 3, 4)))
    for kind, depth_text in (("deep", deep_object(DEEP)), ("huge", None)):
        def write(path):
            if depth_text is None:
                sparse(path, FOUR_GIB, b"{")
            else:
                with open(path, "w") as fh:
                    fh.write(depth_text)
        f = p(kind + "_recipe.json")
        write(f)
        cases.append((f"recipe {kind}", ["quantize", small, "--recipe", f], f))
        f = p(kind + "_tokenizer.json")
        write(f)
        cases.append((f"tokenizer.json {kind}", ["tokenize", f, "--text", "hi"], f))
        folder = p(kind + "_hf")
        os.makedirs(folder, exist_ok=True)
        write(os.path.join(folder, "config.json"))
        with open(os.path.join(folder, "tokenizer.json"), "w") as fh:
            fh.write("{}")
        safetensors(os.path.join(folder, "model.safetensors"), b'{"__metadata__":{}}')
        cases.append((f"config.json {kind}", ["generate", folder, "--tokens", "1"], "config.json"))
        folder = p(kind + "_hftok")
        os.makedirs(folder, exist_ok=True)
        write(os.path.join(folder, "tokenizer.json"))
        cases.append((f"tokenizer.json {kind} in a folder", ["tokenize", folder, "--text", "hi"], "tokenizer.json"))
        f = p(kind + "_lm.json")
        write(f)
        cases.append((f"explicit LM {kind}", ["lm-divergence", f, f, "--length", "1"], f))
    return cases


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    cli = sys.argv[1]
    failures = 0
    with tempfile.TemporaryDirectory(prefix="quench-hostile-") as d:
        cases = build_cases(d)
        for label, args, names in cases:
            t0 = time.monotonic()
            r = subprocess.run([cli] + args, capture_output=True, preexec_fn=limit_memory, timeout=120)
            dt = time.monotonic() - t0
            err = r.stderr.decode(errors="replace").strip()
            problems = []
            if r.returncode != 1:
                problems.append(f"exit code {r.returncode} (want 1)")
            if not err:
                problems.append("no message on stderr")
            if os.path.basename(names) not in err:
                problems.append(f"message does not name {os.path.basename(names)}")
            for bad in ("bad_alloc", "length_error", "terminate called", "std::", "what()"):
                if bad in err:
                    problems.append(f"message shows '{bad}'")
            status = "ok  " if not problems else "FAIL"
            first = err.splitlines()[-1] if err else ""
            print(f"{status} {label} ({dt:.2f} s): {first[:200]}")
            for pr in problems:
                print(f"     {pr}")
            failures += bool(problems)
    print(f"{len(cases) - failures}/{len(cases)} hostile inputs refused cleanly under RLIMIT_AS = 2 GiB")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
