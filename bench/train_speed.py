"""Training-speed benchmark of the project's trainer (a script, not a test).

Same model (784->512->10 ReLU MLP: setting model=mlp depth=2 width=512 slope=0), same
data (Fashion-MNIST train split, or a `--smoke` subset), same device, measured side by
side in one run:

  (a) lmc.train.loop.train_members, resident path, one member  vs  the textbook loop
      (torchvision FashionMNIST + ToTensor + Normalize, DataLoader(batch, shuffle=True),
      nn.Module, SGD momentum, `running_loss += loss.item()` as in the PyTorch tutorial);
  (b) the same trainer with data_path="ffcv" (FFCV Loader over a .beton);
  (c) achieved training FLOP/s as a fraction of the device's measured fp32 matmul FLOP/s;
  (d) a pair (2 members, A and B batched) and 3 pairs (6 members) vs one member;
  (e) the plain resident loop a researcher who cares about speed writes (the split as one
      normalised float tensor, `torch.randperm` per epoch, `nn.Sequential`, `cross_entropy`,
      `opt.step()`), training 1, 2 and 6 models one after another, against
      `train_members` with 1, 2 and 6 members: the peer to beat.

Only training is counted: train_members evaluates the test split after every epoch, so
the benchmark passes a tiny test split (256 samples) AND times `lmc.nn.stacked.evaluate`
and subtracts it. Each contender gets an untimed warm-up, then the timed repeats are
interleaved (round r runs every contender once) so that a change in machine load hits all
alike. Ratios use the best of the repeats by default (`--statistic median` for the
median; both are printed). The share of CPU that other processes took during the run is
measured from /proc/stat and printed: above a few per cent the timings are disturbed.

    PYTHONPATH=$PWD python bench/train_speed.py [--smoke] [--device cuda] [--json OUT]
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from lmc.config import grid
from lmc.data import beton, idx, resident, sources
from lmc.nn import stacked
from lmc.nn.models import build_model
from lmc.train import loop

DATASET = "fashion_mnist"
DEFAULT_SOURCE = "/usr/share/datasets/fashion-mnist"
TEST_SUBSET = 256
TARGETS = {
    # device type -> ratio key -> (comparison, target); ratios without an entry have no target
    "cpu": {"trainer_vs_textbook": (">=", 8.0), "flops_fraction": (">=", 0.70),
            **{f"plain_vs_trainer_m{m}": (">=", 1.0) for m in (1, 2, 6)}},
    "cuda": {"trainer_vs_textbook": (">=", 30.0), "pair_vs_one": ("<=", 1.3)},
}


# ---------------------------------------------------------------- helpers
def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def benchmark_setting(batch_size: int, epochs: int) -> dict:
    return grid.canonical(dict(
        dataset=DATASET, model="mlp", depth=2, width=512, slope=0.0, optimizer="sgd", lr=0.1,
        momentum=0.9, batch_size=batch_size, epochs=epochs, warmup_fraction=0.0, schedule="constant",
        weight_decay=0.0, augment=False, seed=0, init="torch_default", init_scale=1.0))


def matmul_params(setting: dict) -> int:
    """Parameters that take part in matmuls: the Linear layers' weights (biases excluded)."""
    meta = sources.info(DATASET)
    model = build_model(setting, meta.shape, meta.classes)
    return sum(m.weight.numel() for m in model.modules() if isinstance(m, nn.Linear))


def executed_gemm_flops_per_sample(setting: dict) -> int:
    """What the GEMMs actually execute per sample: forward 2P, weight gradient 2P, and the
    input gradient 2P only for layers after the first (the images need no gradient)."""
    meta = sources.info(DATASET)
    model = build_model(setting, meta.shape, meta.classes)
    sizes = [m.weight.numel() for m in model.modules() if isinstance(m, nn.Linear)]
    return 4 * sum(sizes) + 2 * sum(sizes[1:])


def matmul_flops(device: torch.device, sizes: list[int], reps: int) -> dict:
    """Best-of `reps` fp32 square matmul, per size; FLOP = 2 n^3."""
    out = {}
    for n in sizes:
        gen = torch.Generator().manual_seed(0)
        a = torch.randn(n, n, generator=gen).to(device)
        b = torch.randn(n, n, generator=gen).to(device)
        c = a @ b                                  # warm-up
        sync(device)
        best = math.inf
        for _ in range(reps):
            t = time.perf_counter()
            c = a @ b
            sync(device)
            best = min(best, time.perf_counter() - t)
        del c
        out[n] = 2 * n ** 3 / best
    return out


@contextlib.contextmanager
def timed_evaluation(device: torch.device):
    """Accumulate the wall time train_members spends in lmc.nn.stacked.evaluate."""
    spent = [0.0]
    original = stacked.evaluate

    def wrapper(*args, **kwargs):
        sync(device)
        t = time.perf_counter()
        out = original(*args, **kwargs)
        sync(device)
        spent[0] += time.perf_counter() - t
        return out

    stacked.evaluate = wrapper
    try:
        yield spent
    finally:
        stacked.evaluate = original


# ---------------------------------------------------------------- the contenders
def run_trainer(setting, init, members: int, tr: resident.Split, te: resident.Split, device, *,
                data_path: str = "resident", beton_path: str | None = None) -> tuple[float, float]:
    """One train_members call; returns (training seconds, evaluation seconds excluded)."""
    seeds = [1000 + m for m in range(members)]
    with timed_evaluation(device) as eval_s:
        sync(device)
        t = time.perf_counter()
        result = loop.train_members(setting, init, seeds, tr, te, device, data_path=data_path,
                                    train_beton=beton_path)
        sync(device)
        total = time.perf_counter() - t
    if any(result.diverged):
        raise RuntimeError("benchmark run diverged")
    return total - eval_s[0], eval_s[0]


def textbook_loader(root: str, n: int | None, batch_size: int, workers: int, device):
    import torchvision
    from torchvision import transforms

    meta = sources.info(DATASET)
    ds = torchvision.datasets.FashionMNIST(
        root, train=True, download=False,
        transform=transforms.Compose([transforms.ToTensor(), transforms.Normalize(meta.mean, meta.std)]))
    if n is not None and n < len(ds):
        ds = torch.utils.data.Subset(ds, range(n))
    return torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=True, num_workers=workers,
                                       pin_memory=False), len(ds)


def run_plain(init: dict[str, torch.Tensor], members: int, tr: resident.Split, epochs: int, batch_size: int,
              device) -> float:
    """The plain resident-tensor loop, training `members` models one after another from
    `init`, each in its own random order; returns training seconds. Normalising the split
    is inside the time, as it is inside train_members'."""
    sync(device)
    t = time.perf_counter()
    x = resident.normaliser(DATASET, device)(tr.images).flatten(1)
    y = tr.labels.long()
    for m in range(members):
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10)).to(device)
        model.load_state_dict({k.replace("layers.1", "layers.2").replace("layers.", ""): v
                               for k, v in init.items()})                 # Θ_0 of the trainer's runs
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        gen = torch.Generator(device=device).manual_seed(1000 + m)
        for _ in range(epochs):
            order = torch.randperm(len(y), generator=gen, device=device)
            for start in range(0, len(y), batch_size):
                idx = order[start:start + batch_size]
                loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
    sync(device)
    return time.perf_counter() - t


def run_textbook(loader, epochs: int, device, max_steps: int | None = None) -> float:
    """The PyTorch-tutorial loop; returns training seconds."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10)).to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sync(device)
    t = time.perf_counter()
    steps = 0
    for _ in range(epochs):
        running_loss = 0.0
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            steps += 1
            if max_steps is not None and steps >= max_steps:
                break
    sync(device)
    return time.perf_counter() - t


def cpu_seconds() -> tuple[float, float] | None:
    """(CPU-seconds busy on the whole machine, CPU-seconds used by this process) so far;
    their difference over a run is what other processes took (Linux only)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except OSError:
        return None
    hz = os.sysconf("SC_CLK_TCK")
    busy = (sum(fields[:8]) - fields[3] - fields[4]) / hz          # all but idle and iowait
    own = os.times()
    return busy, own.user + own.system + own.children_user + own.children_system


def load_average() -> list[float] | None:
    try:
        return [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return None


# ---------------------------------------------------------------- main
def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cpu", help="cpu or cuda[:k] (default cpu)")
    p.add_argument("--epochs", type=int, default=None,
                   help="epochs per timed run (default 2; 1 with --smoke)")
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument("--repeats", type=int, default=None,
                   help="timed repeats per method (default 3; 1 with --smoke)")
    p.add_argument("--smoke", action="store_true", help="a 4096-sample subset, 1 epoch: runs in seconds")
    p.add_argument("--samples", type=int, default=None,
                   help="train on the first N samples (default all; 4096 with --smoke)")
    p.add_argument("--statistic", choices=["best", "median"], default="best",
                   help="which statistic of the repeats the ratios use (default best: on a shared machine "
                        "other processes only ever add time)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: the machine's cores)")
    p.add_argument("--textbook-workers", type=int, default=0,
                   help="DataLoader num_workers of the textbook loop")
    p.add_argument("--no-ffcv", action="store_true",
                   help="skip the FFCV path (ratio (b)); automatic if ffcv is missing")
    p.add_argument("--no-multi", action="store_true", help="skip the 3-pair (6-member) measurement")
    p.add_argument("--data-root", default="resources/datasets", help="torchvision-layout dataset root")
    p.add_argument("--source", default=DEFAULT_SOURCE, help="folder with the Fashion-MNIST idx .gz files")
    p.add_argument("--out-dir", default="bench/out", help="where the .beton files are cached")
    p.add_argument("--json", default=None, help="also write the results as JSON here")
    args = p.parse_args(argv)
    if args.epochs is None:
        args.epochs = 1 if args.smoke else 2
    if args.repeats is None:
        args.repeats = 1 if args.smoke else 3
    if args.samples is None and args.smoke:
        args.samples = 4096
    return args


def prepare(args) -> tuple[resident.Split, resident.Split, np.ndarray, np.ndarray]:
    raw = Path(args.data_root) / sources.info(DATASET).torchvision / "raw"
    if not all((raw / f).exists() for pair in idx.IDX_FILES.values() for f in pair):
        sources.prepare(DATASET, args.data_root, args.source)
    x, y = sources.load_split(DATASET, args.data_root, "train")
    tx, ty = sources.load_split(DATASET, args.data_root, "test")
    if args.samples is not None:
        x, y = x[:args.samples], y[:args.samples]
    device = torch.device(args.device)
    tr = resident.Split(torch.from_numpy(x).to(device), torch.from_numpy(y).to(device))
    te = resident.Split(torch.from_numpy(tx[:TEST_SUBSET]).to(device),
                    torch.from_numpy(ty[:TEST_SUBSET]).to(device))
    return tr, te, x, y


def beton_for(args, x: np.ndarray, y: np.ndarray) -> str:
    path = Path(args.out_dir) / f"{DATASET}_train_n{len(y)}.beton"
    if not path.exists():
        beton.write_beton(x, y, path)
    return str(path)


def ffcv_available() -> bool:
    threads = torch.get_num_threads()
    try:
        import ffcv  # noqa: F401      (importing ffcv sets torch's thread count to 1)
    except Exception:                   # ImportError, or a broken native build
        return False
    finally:
        torch.set_num_threads(threads)
    return True


def check(device_type: str, name: str, value: float):
    rule = TARGETS.get(device_type, {}).get(name)
    if rule is None:
        return None
    op, target = rule
    met = value >= target if op == ">=" else value <= target
    return {"op": op, "target": target, "met": bool(met)}


def _contenders(args, setting: dict, warm_setting: dict, init: dict, tr, te, device: torch.device,
                beton_path: str | None) -> dict:
    """name -> (members, timed run, untimed warm-up); a timed run returns (training seconds,
    excluded evaluation seconds)."""
    E = args.epochs
    loader, n_tb = textbook_loader(args.data_root, args.samples, args.batch_size, args.textbook_workers,
                                   device)
    assert n_tb == len(tr)
    contenders = {"textbook": (1, lambda: (run_textbook(loader, E, device), 0.0),
                               lambda: run_textbook(loader, 1, device, max_steps=3))}
    for m in [1, 2] + ([] if args.no_multi else [6]):
        contenders[f"plain_m{m}"] = (m, lambda m=m: (run_plain(init, m, tr, E, args.batch_size, device), 0.0),
                                     lambda m=m: run_plain(init, m, tr, 1, args.batch_size, device))
        contenders[f"resident_m{m}"] = (m, lambda m=m: run_trainer(setting, init, m, tr, te, device),
                                        lambda m=m: run_trainer(warm_setting, init, m, tr, te, device))
    if beton_path is not None:
        contenders["ffcv_m1"] = (1, lambda: run_trainer(setting, init, 1, tr, te, device, data_path="ffcv",
                                                        beton_path=beton_path),
                                 lambda: run_trainer(warm_setting, init, 1, tr, te, device, data_path="ffcv",
                                                     beton_path=beton_path))
    return contenders


def _run_contenders(contenders: dict, repeats: int, threads: int, log) -> dict:
    """Warm every contender up (untimed: FFCV's numba JIT), then time them in interleaved
    rounds, so that load drifts hit all alike. FFCV resets torch's thread count (see
    lmc.data.beton.keep_torch_threads): every contender starts from the same setting, and
    one that leaves it changed is reported."""
    for name, (_, _, warm) in contenders.items():
        log(f"warm-up {name} ...")
        torch.set_num_threads(threads)
        warm()
        if torch.get_num_threads() != threads:
            log(f"WARNING: {name} left torch with {torch.get_num_threads()} threads instead of {threads}")
    runs = {name: {"members": m, "train_s": [], "eval_s_excluded": []}
            for name, (m, _, _) in contenders.items()}
    for r in range(repeats):
        for name, (_, run, _) in contenders.items():
            log(f"round {r + 1}/{repeats}: {name} ...")
            torch.set_num_threads(threads)
            train_s, eval_s = run()
            runs[name]["train_s"].append(train_s)
            runs[name]["eval_s_excluded"].append(eval_s)
    return runs


def _ratios(runs: dict, setting: dict, statistic: str, epochs: int, n: int, peak: float) -> dict:
    """Each run's statistics (median, best, the one the ratios use, samples/s), then the
    ratios, the GEMM-bound ceilings and the FLOP counts."""
    for r in runs.values():
        r["median_s"] = statistics.median(r["train_s"])
        r["best_s"] = min(r["train_s"])
        r["time_s"] = r[f"{statistic}_s"]                         # the statistic the ratios use
        r["samples_per_s"] = r["members"] * epochs * n / r["time_s"]         # all members' samples
        r["samples_per_s_per_member"] = epochs * n / r["time_s"]
    trainer = runs["resident_m1"]
    achieved = 6 * matmul_params(setting) * trainer["samples_per_s"]
    ratios = {
        "trainer_vs_textbook": trainer["samples_per_s"] / runs["textbook"]["samples_per_s"],
        "trainer_vs_ffcv": (trainer["samples_per_s"] / runs["ffcv_m1"]["samples_per_s"]
                            if "ffcv_m1" in runs else None),
        "flops_fraction": achieved / peak,
        "pair_vs_one": runs["resident_m2"]["time_s"] / trainer["time_s"],
    }
    if "resident_m6" in runs:
        ratios["three_pairs_vs_one"] = runs["resident_m6"]["time_s"] / trainer["time_s"]
    for m in (1, 2, 6):
        if f"plain_m{m}" in runs:
            plain, resident = runs[f"plain_m{m}"]["time_s"], runs[f"resident_m{m}"]["time_s"]
            ratios[f"plain_vs_trainer_m{m}"] = plain / resident
    # The GEMM-bound ceiling: one member's epoch if its GEMMs ran at the matmul peak and
    # nothing else cost anything.
    ideal_epoch_s = executed_gemm_flops_per_sample(setting) * n / peak
    ceilings = {"ideal_epoch_s": ideal_epoch_s,
                "trainer_vs_textbook": runs["textbook"]["time_s"] / epochs / ideal_epoch_s,
                "trainer_epoch_over_ideal": trainer["time_s"] / epochs / ideal_epoch_s}
    executed = executed_gemm_flops_per_sample(setting) * trainer["samples_per_s"]
    return {"ratios": ratios, "ceilings": ceilings, "achieved": achieved, "executed": executed}


def _foreign_cpu(cpu_before, wall_before: float) -> dict | None:
    """CPU seconds other processes took during the run, and their share of the machine."""
    cpu_after, wall = cpu_seconds(), time.perf_counter() - wall_before
    if not (cpu_before and cpu_after):
        return None
    other = max(0.0, (cpu_after[0] - cpu_before[0]) - (cpu_after[1] - cpu_before[1]))
    return {"other_processes_cpu_s": other, "wall_s": wall, "share_of_machine": other / (wall * cores())}


def main(argv=None) -> dict:
    args = parse_args(argv)
    device = torch.device(args.device)
    threads = args.threads or cores()
    torch.set_num_threads(threads)
    torch.backends.cuda.matmul.allow_tf32 = False      # fp32 throughout (the trainer's precision)
    torch.backends.cudnn.allow_tf32 = False
    os.makedirs(args.out_dir, exist_ok=True)
    tr, te, x_np, y_np = prepare(args)
    use_ffcv = not args.no_ffcv and ffcv_available()
    if not use_ffcv:
        print("[bench] FFCV not used (--no-ffcv or ffcv not importable): ratio (b) is not measured",
              file=sys.stderr)
    beton_path = beton_for(args, x_np, y_np) if use_ffcv else None
    torch.set_num_threads(threads)                      # writing a .beton imports ffcv too
    setting = benchmark_setting(args.batch_size, args.epochs)
    init = loop.initial_state(setting, 1)
    log = lambda msg: print(f"[bench] {msg}", file=sys.stderr, flush=True)
    load_before = load_average()
    cpu_before, wall_before = cpu_seconds(), time.perf_counter()
    # matmul ceiling: measured before and after the training runs; the better of the two counts
    mm_sizes, mm_reps = ([2048] if args.smoke else [2048, 4096]), (3 if args.smoke else 5)
    log("matmul (start) ...")
    mm_start = matmul_flops(device, mm_sizes, mm_reps)
    contenders = _contenders(args, setting, benchmark_setting(args.batch_size, 1), init, tr, te, device,
                             beton_path)
    runs = _run_contenders(contenders, args.repeats, threads, log)
    log("matmul (end) ...")
    torch.set_num_threads(threads)
    mm_end = matmul_flops(device, mm_sizes, mm_reps)
    mm = {k: max(mm_start[k], mm_end[k]) for k in mm_sizes}
    derived = _ratios(runs, setting, args.statistic, args.epochs, len(tr), max(mm.values()))
    results = _record(args, device, threads, setting, len(tr), len(te), runs, derived, mm, mm_start, mm_end)
    results.update(foreign_cpu=_foreign_cpu(cpu_before, wall_before),
                   load_average={"before": load_before, "after": load_average()})
    print_report(results)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return results


def _record(args, device: torch.device, threads: int, setting: dict, n: int, n_test: int, runs: dict,
            derived: dict, mm: dict, mm_start: dict, mm_end: dict) -> dict:
    """Everything the benchmark measured, as the JSON it writes."""
    p, ratios = matmul_params(setting), derived["ratios"]
    return {
        "runs": runs,
        "ceilings": derived["ceilings"],
        "date": datetime.date.today().isoformat(),
        "device": {"type": device.type,
                   "name": torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_model(),
                   "cores": cores(), "torch_threads": threads},
        "torch": torch.__version__,
        "precision": "float32 (TF32 disabled)",
        "config": {"dataset": DATASET, "train_samples": n, "test_samples_per_epoch_eval": n_test,
                   "epochs": args.epochs, "batch_size": args.batch_size, "repeats": args.repeats,
                   "smoke": args.smoke, "statistic": args.statistic,
                   "textbook_workers": args.textbook_workers},
        "flops": {"matmul_params": p, "counted_per_sample": 6 * p,
                  "count": "6 x (784*512 + 512*10) weight parameters of the Linear layers "
                           "per training sample",
                  "achieved_flops": derived["achieved"],
                  "executed_gemm_flops_per_sample": executed_gemm_flops_per_sample(setting),
                  "executed_gemm_flops": derived["executed"],
                  "matmul_flops_by_size": {str(k): v for k, v in mm.items()},
                  "matmul_peak_flops": max(mm.values()),
                  "matmul_flops_start": {str(k): v for k, v in mm_start.items()},
                  "matmul_flops_end": {str(k): v for k, v in mm_end.items()}},
        "ratios": ratios,
        "targets": {k: c for k in ratios
                    if ratios[k] is not None and (c := check(device.type, k, ratios[k])) is not None},
    }


def print_report(res: dict) -> None:
    c, runs, fl, ratios, targets = res["config"], res["runs"], res["flops"], res["ratios"], res["targets"]
    tb = runs["textbook"]["samples_per_s"]
    print(f"device: {res['device']['name']} ({res['device']['type']}, {res['device']['cores']} cores, "
          f"{res['device']['torch_threads']} torch threads)  torch {res['torch']}  {res['precision']}")
    print(f"data: Fashion-MNIST train, {c['train_samples']} samples x {c['epochs']} epoch(s), "
          f"batch {c['batch_size']}; {c['statistic']} of {c['repeats']} interleaved timed run(s) after a "
          f"warm-up; per-epoch test evaluation ({c['test_samples_per_epoch_eval']} samples) timed and "
          f"excluded")
    la, fc = res.get("load_average") or {}, res.get("foreign_cpu")
    if fc is not None:
        print(f"other processes used {fc['share_of_machine']:.1%} of the machine's CPU during the run "
              f"({fc['other_processes_cpu_s']:.1f} CPU-s in {fc['wall_s']:.1f} s; load average before/after "
              f"{la['before'][0]:.2f} / {la['after'][0]:.2f})"
              + ("  WARNING: timings are disturbed" if fc["share_of_machine"] > 0.05 else ""))
    print()
    labels = {"textbook": "textbook (torchvision DataLoader+ToTensor, 1 model)",
              "plain_m1": "plain resident loop, 1 model",
              "plain_m2": "plain resident loop, 2 models one after another",
              "plain_m6": "plain resident loop, 6 models one after another",
              "resident_m1": "train_members resident, 1 member",
              "ffcv_m1": "train_members ffcv, 1 member",
              "resident_m2": "train_members resident, 2 members (pair)",
              "resident_m6": "train_members resident, 6 members (3 pairs)"}
    print(f"{'method':<52} {'best s/ep':>9} {'median s/ep':>11} {'samples/s':>11} {'x textbook':>10}")
    for name, label in labels.items():
        if name not in runs:
            continue
        r = runs[name]
        print(f"{label:<52} {r['best_s'] / c['epochs']:>9.3f} {r['median_s'] / c['epochs']:>11.3f} "
              f"{r['samples_per_s']:>11.0f} {r['samples_per_s'] / tb:>10.2f}")
    print()
    print("matmul fp32: "
          + ", ".join(f"{k}^2 {v / 1e9:.1f} GFLOP/s" for k, v in fl["matmul_flops_by_size"].items())
          + f" (best of reps, before and after the runs; peak {fl['matmul_peak_flops'] / 1e9:.1f})")
    print(f"trainer FLOP/s: 6 x {fl['matmul_params']} matmul weights x samples/s = "
          f"{fl['achieved_flops'] / 1e9:.1f} GFLOP/s "
          f"(GEMM FLOPs actually executed, {fl['executed_gemm_flops_per_sample']}/sample: "
          f"{fl['executed_gemm_flops'] / 1e9:.1f} GFLOP/s = "
          f"{fl['executed_gemm_flops'] / fl['matmul_peak_flops']:.0%} of matmul)")
    ce = res["ceilings"]
    print(f"GEMM-bound ceiling (executed GEMM FLOPs at the matmul peak, nothing else): "
          f"{ce['ideal_epoch_s']:.3f} s/epoch, "
          f"i.e. at most {ce['trainer_vs_textbook']:.2f}x textbook; "
          f"the trainer takes {ce['trainer_epoch_over_ideal']:.2f}x that")
    print()
    descr = {"trainer_vs_textbook": "(a) trainer / textbook samples/s",
             "trainer_vs_ffcv": "(b) trainer resident / trainer ffcv samples/s",
             "flops_fraction": "(c) trainer FLOP/s (6P count) / matmul FLOP/s",
             "pair_vs_one": "(d) pair time / one-member time",
             "three_pairs_vs_one": "(d') 3 pairs (6 members) time / one-member time",
             **{f"plain_vs_trainer_m{m}": f"(e) plain loop time / trainer time, {m} member(s)"
                for m in (1, 2, 6)}}
    print(f"{'ratio':<52} {'measured':>9} {'target':>12}")
    for k, v in ratios.items():
        t = targets.get(k)
        tgt = f"{t['op']} {t['target']:g} {'MET' if t['met'] else 'MISSED'}" if t else "-"
        print(f"{descr[k]:<52} {'n/a' if v is None else f'{v:.3f}':>9} {tgt:>12}")
    print("RATIOS " + json.dumps({k: None if v is None else round(v, 4) for k, v in ratios.items()}))


if __name__ == "__main__":
    main()
