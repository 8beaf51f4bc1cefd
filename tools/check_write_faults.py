#!/usr/bin/python3
"""Writes never lose data (issue 18): quench-cli's writers under faults. Three checks, one CTest each:

  kill        SIGKILL at seeded random moments during `convert` to safetensors, .npz and HDF5 (a
              16 MiB input) and during `export-gguf`: after every kill the target is byte for byte
              the old file or the complete new one; the killed writer's temporary files are left
              (nothing can remove them) and must be deleted by the next write to the same target
              (core/io/atomic_file.h: stale temporaries of dead processes are removed when a writer
              takes its temporary name). Nothing but the target remains in the folder at the end.
              (CTest: app_cli_write_faults_kill)
  full-disk   the same writers (and `quantize --out`) with RLIMIT_FSIZE (`ulimit -f`) below the
              output's size and SIGXFSZ ignored, so write(2) fails with EFBIG as on a full disk:
              exit code 1, one message naming the file, the old target intact, no temporary file
              left. (A real full tmpfs needs root and a mount; the limit gives the same error path
              without either.) (CTest: app_cli_write_faults_full_disk)
  inputs      every subcommand of quench-cli on copies of the shared data and the test data, with
              the SHA-256 and mtime of every input file checked before and after; includes OUT
              naming the input itself, which must be refused. (CTest: app_cli_write_faults_inputs)

Usage: /usr/bin/python3 tools/check_write_faults.py {kill,full-disk,inputs} PATH/TO/quench-cli SHARED_DATA [SEED]
"""
import hashlib
import json
import os
import random
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
TEST_DATA = os.path.join(ROOT, "tests", "data")


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def make_input(path, tensors=2, rows=2048, cols=1024):
    """A safetensors file of `tensors` f32 matrices (rows × cols), finite values (16 MiB by default)."""
    block = struct.pack("<1024f", *[((i * 37) % 1000 - 500) / 97.0 for i in range(1024)])
    data = block * (rows * cols * 4 // len(block))
    header, off = {}, 0
    for i in range(tensors):
        header["t%d" % i] = {"dtype": "F32", "shape": [rows, cols], "data_offsets": [off, off + len(data)]}
        off += len(data)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for _ in range(tensors):
            f.write(data)


def leftovers(folder, target):
    """Files in `folder` other than the target and the inputs (temporaries of a writer)."""
    return sorted(n for n in os.listdir(folder) if n.startswith(os.path.basename(target) + "."))


def run(cli, args, **kw):
    return subprocess.run([cli] + args, capture_output=True, timeout=300, **kw)


class Checker:
    def __init__(self):
        self.failures = 0
        self.checks = 0

    def check(self, ok, what):
        self.checks += 1
        if not ok:
            self.failures += 1
            print("FAIL " + what)
        return ok


def writers(cli, d, shared):
    """(label, command writing OUT, command writing a different OLD content to OUT) for each writer."""
    src = os.path.join(d, "in.safetensors")
    make_input(src)
    gguf = os.path.join(shared, "gguf", "llama-quantize", "source-f32.gguf")
    out = {ext: os.path.join(d, "out", "target" + ext) for ext in (".safetensors", ".npz", ".h5", ".gguf")}
    os.makedirs(os.path.join(d, "out"))
    ws = []
    for ext in (".safetensors", ".npz", ".h5"):
        ws.append(("convert to " + ext, out[ext],
                   ["convert", src, out[ext], "--dtype", "f16", "--quiet"],
                   ["convert", src, out[ext], "--dtype", "f32", "--tensors", "t0", "--quiet"]))
    if os.path.exists(gguf):
        ws.append(("export-gguf", out[".gguf"],
                   ["export-gguf", gguf, "--mix", "Q6_K", "--out", out[".gguf"], "--quiet"],
                   ["export-gguf", gguf, "--mix", "Q8_0", "--out", out[".gguf"], "--quiet"]))
    else:
        print("note: %s missing, export-gguf not checked" % gguf)
    return ws


def content(cli, target):
    """A digest of the target's content. HDF5 files record object times, so two writes of the same
    tensors differ in bytes: they are compared through quench-cli's own safetensors conversion
    (deterministic bytes) instead; a file that does not read (a partial one) gives None."""
    if not target.endswith(".h5"):
        return sha(target)
    copy = target + ".as.safetensors"
    r = run(cli, ["convert", target, copy, "--quiet"])
    if r.returncode != 0:
        return None
    digest = sha(copy)
    os.remove(copy)
    return digest


def check_kill(cli, shared, seed):
    c = Checker()
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="quench-kill-") as d:
        for label, target, new_cmd, old_cmd in writers(cli, d, shared):
            folder = os.path.dirname(target)
            t0 = time.monotonic()
            r = run(cli, new_cmd)
            full = time.monotonic() - t0
            if not c.check(r.returncode == 0, f"{label}: the full write failed: {r.stderr.decode()}"):
                continue
            new = content(cli, target)
            r = run(cli, old_cmd)
            c.check(r.returncode == 0, f"{label}: writing the old target failed: {r.stderr.decode()}")
            old = content(cli, target)
            c.check(old is not None and new is not None and old != new, f"{label}: old and new contents not distinct")
            kills, stale_seen, states = 0, 0, []
            for _ in range(4):
                delay = rng.uniform(0.0, full * 1.1)
                p = subprocess.Popen([cli] + new_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(delay)
                killed = p.poll() is None
                if killed:
                    p.send_signal(signal.SIGKILL)
                    kills += 1
                p.wait()
                now = content(cli, target)
                state = "old" if now == old else "new" if now == new else "PARTIAL"
                states.append(f"{delay:.2f}s:{state}{'' if killed else '(finished)'}")
                c.check(state != "PARTIAL", f"{label}: after SIGKILL at {delay:.3f} s the target is neither old nor new")
                stale_seen += len(leftovers(folder, target))
                if state == "new":  # the next kill must start from the old content again
                    run(cli, old_cmd)
            # The next complete write removes every stale temporary of the killed writers.
            r = run(cli, new_cmd)
            c.check(r.returncode == 0, f"{label}: the write after the kills failed: {r.stderr.decode()}")
            left = leftovers(folder, target)
            c.check(not left, f"{label}: temporary files left after the next write: {left}")
            c.check(content(cli, target) == new, f"{label}: the write after the kills is not the complete new file")
            print(f"{label}: full write {full:.2f} s; {kills} kills; {' '.join(states)}; "
                  f"{stale_seen} stale temporaries seen, {len(left)} left after the next write")
            os.remove(target)
    return c


def no_fsize_limit_and_ignore_sigxfsz(limit):
    def setup():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write(2) then fails with EFBIG instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return setup


def check_full_disk(cli, shared):
    c = Checker()
    with tempfile.TemporaryDirectory(prefix="quench-full-") as d:
        ws = writers(cli, d, shared)
        npz = os.path.join(TEST_DATA, "quant", "aware_golden.npz")
        recon = os.path.join(d, "out", "recon.safetensors")
        ws.append(("quantize --out", recon,
                   ["quantize", npz, "--tensor", "W", "--bits", "4", "--out", recon, "--codes"],
                   ["quantize", npz, "--tensor", "W", "--bits", "8", "--out", recon]))
        for label, target, new_cmd, old_cmd in ws:
            folder = os.path.dirname(target)
            r = run(cli, new_cmd)
            c.check(r.returncode == 0, f"{label}: the unlimited write failed: {r.stderr.decode()}")
            size = os.path.getsize(target)
            r = run(cli, old_cmd)
            c.check(r.returncode == 0, f"{label}: writing the old target failed")
            old_sha = sha(target)
            for limit in (size // 2, max(size - 1, 1)):
                r = run(cli, new_cmd, preexec_fn=no_fsize_limit_and_ignore_sigxfsz(limit))
                err = r.stderr.decode(errors="replace").strip()
                c.check(r.returncode == 1, f"{label}, limit {limit} B: exit code {r.returncode}, want 1 ({err})")
                c.check(os.path.basename(target) in err and "File too large" in err,
                        f"{label}, limit {limit} B: the message does not name the file and the error: {err!r}")
                c.check(len(err.splitlines()) == 1, f"{label}: more than one line on stderr: {err!r}")
                c.check(sha(target) == old_sha, f"{label}, limit {limit} B: the old target changed")
                left = leftovers(folder, target)
                c.check(not left, f"{label}, limit {limit} B: temporary files left: {left}")
            print(f"{label}: {size} B output; at limits {size // 2} and {size - 1} B: {err.splitlines()[-1][:160] if err else ''}")
    return c


def check_inputs(cli, shared):
    """Each subcommand on copies of its inputs; every input's SHA-256 and mtime unchanged."""
    c = Checker()
    with tempfile.TemporaryDirectory(prefix="quench-inputs-") as d:
        inp = os.path.join(d, "in")
        shutil.copytree(os.path.join(shared, "models"), os.path.join(inp, "models"))
        os.makedirs(os.path.join(inp, "gguf"))
        for f in ("source-f32.gguf", "imatrix.gguf"):
            shutil.copy(os.path.join(shared, "gguf", "llama-quantize", f), os.path.join(inp, "gguf", f))
        shutil.copy(os.path.join(shared, "llamacpp", "persuasion-head.kld"), inp)
        shutil.copy(os.path.join(shared, "llamacpp", "persuasion-head.txt"), inp)
        shutil.copytree(os.path.join(TEST_DATA, "io", "hf_sharded"), os.path.join(inp, "hf_sharded"))
        for f in ("divergence/p_logits.npy", "divergence/q_logits.npy", "divergence/lm_p.json",
                  "divergence/lm_q.json", "quant/aware_golden.npz"):
            shutil.copy(os.path.join(TEST_DATA, f), inp)
        recipe = os.path.join(inp, "recipe.json")
        with open(recipe, "w") as f:
            f.write('{"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "bits": 4}]}')
        text = os.path.join(inp, "text.txt")
        with open(text, "w") as f:
            f.write("Once upon a time, there was a little girl named Lily. She liked to play outside.\n\n" * 8)
        for root, _, files in os.walk(inp):
            for f in files:
                os.chmod(os.path.join(root, f), 0o644)  # writable: a writer bug could really change them
        bin_ = os.path.join(inp, "models", "stories260K", "stories260K.bin")
        gguf = os.path.join(inp, "models", "stories260K-gguf", "stories260K.gguf")
        hf = os.path.join(inp, "models", "TinyStories-656K")
        src = os.path.join(inp, "gguf", "source-f32.gguf")
        npz = os.path.join(inp, "aware_golden.npz")
        o = lambda name: os.path.join(d, name)  # noqa: E731
        commands = [
            ["inspect", "--stats", gguf], ["inspect", hf], ["inspect", os.path.join(inp, "hf_sharded")],
            ["convert", os.path.join(inp, "hf_sharded"), o("c.safetensors"), "--quiet"],
            ["convert", gguf, o("c.npz"), "--quiet"], ["convert", bin_, o("c.h5"), "--quiet"],
            ["quantize", npz, "--tensor", "W", "--bits", "4", "--out", o("q.safetensors"), "--codes"],
            ["quantize", src, "--recipe", recipe, "--out", o("r.safetensors")],
            ["divergence", "--p", "0.5,0.5", "--q", "0.4,0.6"],
            ["divergence", "--p-logits", os.path.join(inp, "p_logits.npy"), "--q-logits", os.path.join(inp, "q_logits.npy")],
            ["lm-divergence", os.path.join(inp, "lm_p.json"), os.path.join(inp, "lm_q.json"), "--length", "2"],
            ["generate", bin_, "--greedy", "--tokens", "8"], ["generate", hf, "--greedy", "--tokens", "8"],
            ["tokenize", gguf, "--text", "Once upon a time"], ["tokenize", hf, "--text-file", text],
            ["logits", gguf, "--text", text, "--out", o("l.safetensors")],
            ["eval", gguf, "--reference-logits", os.path.join(inp, "persuasion-head.kld")],
            ["eval", bin_, "--text", text, "--length", "16", "--method", "int", "--bits", "4"],
            ["sweep", bin_, "--method", "int", "--vary", "bits=4,8", "--text", text, "--length", "16"],
            ["train", "qat", bin_, "--text", os.path.join(inp, "persuasion-head.txt"), "--method", "int", "--bits", "4", "--steps", "1", "--batch", "1",
             "--seq-len", "8", "--out", o("train")],
            ["export-gguf", src, "--mix", "Q4_K_M", "--imatrix", os.path.join(inp, "gguf", "imatrix.gguf"),
             "--out", o("e.gguf"), "--quiet"],
        ]
        # Writing over an input is refused, not done: the input is "modified" by the rename otherwise.
        refused = [["convert", npz, npz, "--quiet"], ["export-gguf", src, "--mix", "Q8_0", "--out", src, "--quiet"],
                   ["quantize", npz, "--tensor", "W", "--out", npz],
                   ["logits", gguf, "--text", text, "--out", text],
                   ["logits", hf, "--text", text, "--out", os.path.join(hf, "model.safetensors")]]
        files = sorted(os.path.join(r, f) for r, _, fs in os.walk(inp) for f in fs)
        before = {f: (sha(f), os.stat(f).st_mtime_ns) for f in files}
        ran = 0
        for cmd in commands + refused:
            r = run(cli, cmd)
            err = r.stderr.decode(errors="replace").strip()
            if cmd in refused:
                c.check(r.returncode == 1, f"{' '.join(cmd[:2])}: writing over the input was not refused")
            else:
                c.check(r.returncode == 0, f"quench-cli {' '.join(cmd)} failed: {err[-300:]}")
            ran += 1
            after_files = sorted(os.path.join(r_, f) for r_, _, fs in os.walk(inp) for f in fs)
            c.check(after_files == files, f"{cmd[0]}: files in the input folders changed: "
                    f"{sorted(set(after_files) ^ set(files))}")
            for f in files:
                if os.path.exists(f):
                    now = (sha(f), os.stat(f).st_mtime_ns)
                    c.check(now == before[f], f"quench-cli {' '.join(cmd)} modified its input {f}")
        print(f"{ran} commands ({len(commands)} writing elsewhere, {len(refused)} refused), {len(files)} input files "
              f"checksummed after each")
    return c


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        return 2
    mode, cli, shared = sys.argv[1], sys.argv[2], sys.argv[3]
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 18
    if mode == "kill":
        c = check_kill(cli, shared, seed)
    elif mode == "full-disk":
        c = check_full_disk(cli, shared)
    elif mode == "inputs":
        c = check_inputs(cli, shared)
    else:
        print(__doc__)
        return 2
    print(f"{c.checks - c.failures}/{c.checks} checks passed")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
