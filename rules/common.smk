# The experiment grid (config -> settings -> run ids) and the input/param/resource
# functions every rule uses. No logic lives in the rules themselves.
import os

from lmc.config import (
    artefacts as lmc_artefacts,
    dynamics as lmc_dynamics,
    grid,
    resources as lmc_resources,
)
from lmc.data import arrays as lmc_arrays, beton as lmc_beton, sources as lmc_data
from lmc.train import settings as lmc_settings
from lmc.util import code as lmc_code, pair_files
from lmc.data.datasets import DATASETS, SPLITS, DatasetError

try:
    ARTEFACTS = grid.built_artefacts(config)
    # Artefacts built from trained pairs; the others (Table 3) are computed from the
    # model classes alone.
    TRAINED = lmc_artefacts.trained(ARTEFACTS)
    ENTRIES = {a: grid.artefact_settings(config, a) for a in TRAINED}
    RUNS = grid.all_runs(config, ARTEFACTS)
    # Runs whose training also saves snapshots for barrier_over_time (rules/dynamics.smk),
    # and after which epochs.
    SNAPSHOT_EPOCHS = lmc_dynamics.snapshot_epochs(config, TRAINED)
    SNAPSHOT_RUNS = sorted({e["run_id"] for e in ENTRIES.get(lmc_dynamics.SNAPSHOTS, [])})
    # Runs trained (and interpolated) together by one job each (`bundle: N`); the others
    # get a job per setting.
    BUNDLES = {grid.bundle_id(runs): runs for runs in grid.bundles(config, ARTEFACTS, exclude=SNAPSHOT_RUNS)}
    # The pairs each training job of a setting trains together (all of them unless
    # pairs_per_job says fewer): one rule per chunk, since a rule's outputs are fixed.
    PAIR_CHUNKS = grid.pair_chunks(config["pairs"], config["pairs_per_job"])
except grid.GridError as e:
    sys.exit(f"config error: {e}")
for problem in lmc_config.check_settings(ENTRIES) + lmc_dynamics.check(config, ENTRIES):
    sys.exit(problem)
# Artefacts that are figures in the paper: a plot (png, pdf) besides the table of its numbers.
FIGURES = lmc_artefacts.figures(TRAINED)
# Those made from each setting's final pairs (aggregate rule, path figures); the training
# dynamics artefacts have their own rules (rules/dynamics.smk).
FINAL_PAIRS = lmc_artefacts.of_final_pairs(TRAINED)
PAIRS = list(range(config["pairs"]))
_BUNDLED = sorted({run for runs in BUNDLES.values() for run in runs})


def run_regex(runs):
    """A wildcard constraint matching exactly these run ids (nothing, if there are none)."""
    return "|".join(sorted(runs)) or "(?!)"


# The runs the per-setting rules (train_setting, interpolate) make: every run not in a
# bundle; of those, the ones whose training saves snapshots (train_setting_snapshots).
UNBUNDLED = run_regex(set(RUNS) - set(_BUNDLED))
PLAIN_RUNS = run_regex(set(RUNS) - set(_BUNDLED) - set(SNAPSHOT_RUNS))
SNAPSHOTTED_RUNS = run_regex(SNAPSHOT_RUNS)
DATASET_ROOT = config["dataset_root"]


wildcard_constraints:
    run="[0-9a-f]{12}",
    k="[0-9]+",
    dataset="|".join(DATASETS),
    artefact="|".join(FINAL_PAIRS) if FINAL_PAIRS else "none",


# --- where every file lives: each path pattern is written once, here -----------------------
# Called without arguments they give the rule's wildcard pattern; with values, one file.


def beton_file(split, dataset="{dataset}"):
    return f"results/datasets/{dataset}/{split}.beton"


def beton_record_file(split, dataset="{dataset}"):
    """Size and hashes of a .beton, written beside it by convert (lmc.data.beton.record_path)."""
    return str(lmc_beton.record_path(beton_file(split, dataset)))


def array_file(split, kind, dataset="{dataset}"):
    """The decoded split convert writes beside the .beton (kind: images, labels, record;
    lmc.data.arrays.paths)."""
    return str(lmc_arrays.paths(beton_file(split, dataset))[kind])


def run_file(name, run="{run}"):
    return f"results/runs/{run}/{name}"


def runs_index_file():
    return "results/runs/index.csv"


def provenance_index_file():
    return "results/runs/provenance.csv"


def pair_file(name, run="{run}", k="{k}"):
    return f"results/runs/{run}/pair{k}/{name}"


def barriers_file(suffix="", artefact="{artefact}"):
    return f"results/barriers/{artefact}{suffix}.csv"


def table_file(artefact, ext):
    return f"results/tables/{artefact}.{ext}"


def figure_file(name, ext):
    return f"results/figures/{name}.{ext}"


def log_file(rule, name):
    return f"results/logs/{rule}/{name}.log"


def benchmark_file(rule, name):
    return f"results/benchmarks/{rule}/{name}.tsv"


# --- parameters, inputs and resources of the rules ------------------------------------------

# What every job that trains or evaluates networks asks of the scheduler: a GPU (the local
# profile's `--resources gpu=N` caps concurrent ones; SLURM maps it to --gpus) and the
# configured threads. Rules add their own memory and runtime: `resources: **GPU_JOB, ...`.
GPU_JOB = {"gpu": 1, "cpus_per_task": config["threads"]}


def code_of(*roots):
    """The `code` param of a rule: a digest of the lmc modules `roots` (those its script
    calls) and everything they import, so a code change re-runs what it produced and a
    comment or docstring edit re-runs nothing (lmc/util/code.py)."""
    return lmc_code.digest(*roots)


def operational(value):
    """A param that never decides a re-run (device, checkpoint_every, eval batch size, and
    how runs are packed into jobs: which settings, pairs, seeds, state and log files), for
    `value` or `value(wildcards)`. Snakemake leaves a param function that takes
    `resources` out of the params it compares, as one derived from the job itself
    (snakemake/rules.py, _is_deriving_function); a setting change still re-runs its jobs,
    as it changes the run id and so every path. docs/reliability.md, "What re-runs what"."""

    def param(wildcards, resources):
        if callable(value):
            return value(wildcards)
        # a path pattern: what Snakemake does with a plain string param
        return value.format(**wildcards) if isinstance(value, str) else value

    return param


def setting_of(wildcards):
    return RUNS[wildcards.run]


def settings_of(wildcards):
    """The `settings` param of a per-setting job: its one setting."""
    return [RUNS[wildcards.run]]


def seeds_of(pairs):
    """The `seeds` param of a per-setting training job over `pairs`: each pair's seeds."""
    return lambda wildcards: [[lmc_settings.pair_seeds(RUNS[wildcards.run], k) for k in pairs]]


def bundle_seeds(bundle):
    return [[lmc_settings.pair_seeds(RUNS[run], k) for k in PAIRS] for run in BUNDLES[bundle]]


def betons_of(dataset):
    """split -> .beton path of a dataset (jobs find convert's arrays beside it)."""
    return {split: beton_file(split, dataset) for split in SPLITS}


def betons_param(wildcards):
    return betons_of(RUNS[wildcards.run]["dataset"])


def bundle_dataset(bundle):
    return RUNS[BUNDLES[bundle][0]]["dataset"]


def bundle_rule(stage, bundle):
    """A bundle job's rule name, after the artefact its settings belong to (the first one
    in config order, as lmc.config.grid.bundles groups them): train_bundle_table1_<id>."""
    first = BUNDLES[bundle][0]
    artefact = next(a for a in TRAINED if any(e["run_id"] == first for e in ENTRIES[a]))
    return f"{stage}_bundle_{artefact}_{bundle}"


def bundle_file(name, bundle):
    """A bundle job's own files (log, state) under results/bundles/<id>/."""
    return f"results/bundles/{bundle}/{name}"


_CHECKED_BETONS = set()


def checked_beton(path):
    """`path` and the arrays beside it, once checked against their records (cheap: size
    and mtime; a full hash only when a file was touched after conversion). Done while the DAG is built, so a changed
    .beton stops the workflow with one line before Snakemake deletes the old outputs of
    any job that would read it. Once per file and process: a convert job running in this
    workflow may replace the file later, legitimately."""
    if path not in _CHECKED_BETONS:
        try:
            lmc_beton.check_beton_unchanged(path)
            note = lmc_arrays.check_unchanged(path)
        except DatasetError as e:
            sys.exit(str(e))
        if note:
            print(f"lmc: {note}", file=sys.stderr)
        _CHECKED_BETONS.add(path)
    return path


def betons_of_run(wildcards):
    return dataset_inputs(RUNS[wildcards.run]["dataset"])


def dataset_inputs(ds):
    """What a job reads of its dataset: convert's arrays of each split (and, on the ffcv
    data path, the train .beton), each checked and ancient (their mtime alone re-runs
    nothing), and their records (small, so Snakemake compares their checksums: a rebuilt
    split with the same content re-runs nothing in later invocations, other content
    re-runs the jobs)."""
    files = {}
    for split in SPLITS:
        checked_beton(beton_file(split, ds))
        for kind in ("images", "labels"):
            files[f"{split}_{kind}"] = ancient(array_file(split, kind, ds))
        files[f"{split}_arrays_record"] = array_file(split, "record", ds)
    if config["data_path"] == "ffcv":
        files["train_beton"] = ancient(beton_file("train", ds))
        files["train_record"] = beton_record_file("train", ds)
    return files


def train_outputs(pairs, runs=("{run}",), snapshots=False):
    """A training job's outputs: each pair's files (lmc.jobs.train.PAIR_FILES) of each of
    its runs (the wildcard for a per-setting job), with `snapshots` each member's weights
    after every snapshot epoch, and, from the job that trains pair 0, each run's
    setting.json."""
    out = {}
    for i, run in enumerate(runs):
        for k in pairs:
            for t in SNAPSHOT_EPOCHS if snapshots else []:
                for m in "ab":
                    key = pair_files.snapshot_key(m, t, i, k)
                    out[key] = pair_file(pair_files.snapshot_file(m, t), run, k)
            for name, file in pair_files.PAIR_FILES.items():
                out[pair_files.output_key(name, i, k)] = pair_file(file, run, k)
        if 0 in pairs:
            out[pair_files.setting_key(i)] = run_file("setting.json", run)
    return out


def interpolation_files(runs=("{run}",)):
    """Each run's interpolation.csv per pair, nested [run][pair] (a job's outputs and,
    flattened, its params)."""
    return [[pair_file(pair_files.INTERPOLATION, run, k) for k in PAIRS] for run in runs]


def weight_files(runs=("{run}",)):
    """Each run's (a.pt, b.pt) per pair, nested [run][pair]."""
    return [[(pair_file("a.pt", run, k), pair_file("b.pt", run, k)) for k in PAIRS] for run in runs]


def filled(nested):
    """A param function giving `nested` paths with the job's run wildcard filled in."""
    return lambda wildcards: [[fill(x, wildcards) for x in row] for row in nested]


def fill(x, wildcards):
    if isinstance(x, tuple):
        return tuple(fill(y, wildcards) for y in x)
    return x.format(run=wildcards.run)


def train_rule_name(pairs, snapshots):
    """train_setting, train_setting_snapshots, train_setting_pairs0_1, ..."""
    chunk = chunk_name(pairs).replace(".", "_").replace("-", "_")
    return f"train_setting{'_snapshots' if snapshots else ''}{chunk}"


def chunk_name(pairs):
    """'' for the job that trains every pair, else '.pairs2-3' (its logs and state)."""
    return "" if len(pairs) == len(PAIRS) else f".pairs{pairs[0]}-{pairs[-1]}"


def raw_files_of_dataset(wildcards):
    """The raw files the download rule leaves under dataset_root (lmc.data.sources.raw_files), as
    convert's inputs: a changed one makes convert re-run, and convert re-checks it against
    the manifest's hashes. Only those that exist: no rule declares them, so a missing one
    would stop Snakemake with MissingInputException; left out, it changes convert's set
    of inputs, convert re-runs and names the missing file and the fix."""
    checkpoints.download.get(dataset=wildcards.dataset)
    root = dataset_dir(wildcards)
    files = lmc_data.raw_files(wildcards.dataset)
    paths = sorted({f"{root}/{rel}" for split in SPLITS for rel in files[split]})
    return [p for p in paths if os.path.exists(p)]


def offline_source(wildcards):
    return config["offline_sources"].get(wildcards.dataset, "")


def train_mem_mb(pairs):
    return lambda wildcards: lmc_resources.train_mem_mb([RUNS[wildcards.run]], len(pairs))


def train_runtime(pairs):
    return lambda wildcards: lmc_resources.train_runtime_min([RUNS[wildcards.run]], len(pairs))


def eval_mem_mb(wildcards):
    return lmc_resources.eval_mem_mb([RUNS[wildcards.run]], len(config["alphas"]))


def eval_runtime(wildcards):
    return lmc_resources.eval_runtime_min([RUNS[wildcards.run]], len(config["alphas"]), len(PAIRS))


def bundle_settings(bundle):
    return [RUNS[run] for run in BUNDLES[bundle]]


# Models whose layers run far below the matmul rate on a CPU (convolutions, locally
# connected layers, attention): their bundles' jobs are the workflow's longest.
SLOW_MODELS = ("cnn", "lcn", "vit")


def bundle_priority(bundle):
    """Longest first: a bundle of slow models gets priority 1, so its chain (training, then
    interpolation) starts early instead of running alone on one core at the end."""
    return int(any(s["model"] in SLOW_MODELS for s in bundle_settings(bundle)))


def artefact_pairs(wildcards):
    """Every (setting, pair) file aggregation needs for one artefact."""
    files = {"settings": [], "metrics": [], "paths": [], "aligned": []}
    for entry in ENTRIES[wildcards.artefact]:
        for k in PAIRS:
            files["settings"].append(run_file("setting.json", entry["run_id"]))
            files["metrics"].append(pair_file("metrics.csv", entry["run_id"], k))
            files["paths"].append(pair_file(pair_files.INTERPOLATION, entry["run_id"], k))
            if "align" in entry["analyses"]:  # rules/analyses.smk
                files["aligned"].append(aligned_path_of(entry["run_id"], k))
    return files


def artefact_cells(wildcards):
    """Grid position, label and coordinates of each input pair, in input order."""
    cells = []
    for i, entry in enumerate(ENTRIES[wildcards.artefact]):
        for k in PAIRS:
            cells.append(
                {
                    "cell": i,
                    "label": entry["coords"].get("label", ""),
                    "coords": entry["coords"],
                    "run_id": entry["run_id"],
                    "pair": k,
                    # rules/analyses.smk
                    **aligned_cell(entry, k),
                }
            )
    return cells


def table_outputs(artefact):
    """The table of an artefact (for a figure: the numbers behind it)."""
    return {ext: table_file(artefact, ext) for ext in ("md", "tex", "csv", "html")}


def figure_outputs(artefact):
    """The figure of a figure artefact (the paper's, or one beyond it such as the paper
    comparison), and the path figure of every artefact made from final pairs."""
    out = {}
    if artefact in FINAL_PAIRS:
        out.update({f"paths_{ext}": figure_file(f"{artefact}_paths", ext) for ext in ("png", "pdf")})
    if lmc_artefacts.ARTEFACTS[artefact].figure:
        out.update({ext: figure_file(artefact, ext) for ext in ("png", "pdf")})
    return out


def artefact_outputs(artefacts):
    """Every file `snakemake <artefact>` (and `all`) makes for these artefacts, and the
    intermediates of them that are missing (see missing_intermediates)."""
    out = []
    for a in artefacts:
        out += list(table_outputs(a).values())
        out += list(figure_outputs(a).values())
        if a in TRAINED:
            out += analysis_outputs(a)  # rules/analyses.smk
    return out + missing_intermediates(artefacts)


def intermediates_of(artefact):
    """The files between the data and an artefact's tables: each pair's training files
    and interpolation.csv, each setting.json, the aggregated barriers."""
    files = [barriers_file(s, artefact) for s in ("", "_paths")] if artefact in FINAL_PAIRS else []
    for run in sorted({e["run_id"] for e in ENTRIES.get(artefact, [])}):
        files.append(run_file("setting.json", run))
        for k in PAIRS:
            files += [pair_file(name, run, k) for name in pair_files.PAIR_FILES.values()]
            files.append(pair_file(pair_files.INTERPOLATION, run, k))
    return files


def missing_intermediates(artefacts):
    """The intermediates of `artefacts` missing on disk, as inputs of the target rules
    (`all`, `table2`, ...). Snakemake 9 re-runs a job whose output is missing only when a
    job after it runs too: with a deleted pair0/a.pt (as a reader's message asks) but its
    interpolation.csv, barriers and tables present, `snakemake all` said "Nothing to be
    done". Asked for by the target itself (a rule without outputs, so nothing is recorded
    and nothing re-runs later), the job that makes the file runs, and every job after it
    (docs/reliability.md). On a fresh run they are missing anyway: nothing changes."""
    missing = [f for a in artefacts for f in intermediates_of(a) if not os.path.exists(f)]
    partial = [f for f in missing if os.path.isdir(os.path.dirname(f))]
    if partial and partial[0] not in _ANNOUNCED:
        _ANNOUNCED.add(partial[0])
        print(
            f"lmc: {len(partial)} intermediate file(s) missing beside finished results (first: "
            f"{partial[0]}); the jobs that make them and the jobs after them will run",
            file=sys.stderr,
        )
    return sorted(set(missing))


_ANNOUNCED = set()


def artefact_provenance(artefact):
    """'Fashion-MNIST; 2 pair(s) per setting; 3 epochs' from the config, for report
    captions (the rendered tables say the same from the results)."""
    settings = [e["setting"] for e in ENTRIES[artefact]]
    titles = ", ".join(dict.fromkeys(DATASETS[s["dataset"]].title for s in settings))
    epochs = ", ".join(str(e) for e in sorted({s["epochs"] for s in settings}))
    return f"{titles}; {len(settings)} setting(s), {len(PAIRS)} pair(s) per setting; {epochs} epochs"


def claims_sources():
    """The configured artefacts whose barriers the claims table reads."""
    return lmc_artefacts.sources("claims", TRAINED)


def paper_values_file():
    """The paper's printed numbers (lmc.paper.printed_values): data, so an edit re-runs the comparison."""
    return "config/paper_values.csv"


def comparison_inputs():
    """What the paper comparison reads, per configured source artefact: the aggregated
    barriers of the trained ones, Table 3's parameter counts (lmc.paper.comparison)."""
    present = [*TRAINED, *(["table3"] if "table3" in ARTEFACTS else [])]
    return {
        a: table_file(a, "csv") if a == "table3" else barriers_file(artefact=a)
        for a in lmc_artefacts.sources("paper_comparison", present)
    }


def table3_points():
    """Table 3's grid points: the keys that fix a parameter count (dataset shape,
    channels, kernel, ViT shape), nothing else, so an unrelated edit reruns nothing."""
    keys = ("dataset", "channels", "kernel", "patch", "heads", "head_dim")
    return [{k: p["merged"][k] for k in keys} for p in grid.artefact_points(config, "table3")]


def dataset_dir(wildcards):
    return f"{DATASET_ROOT}/{wildcards.dataset}"


def artefact_title(artefact):
    """'Table 2' for table2 (report categories)."""
    return lmc_artefacts.title(artefact)
