# The experiment grid (config -> settings -> run ids) and the input/param/resource
# functions every rule uses. No logic lives in the rules themselves.
import os

from lmc import (
    artefacts as lmc_artefacts,
    beton as lmc_beton,
    code as lmc_code,
    data as lmc_data,
    grid,
    resources as lmc_resources,
    runs as lmc_runs,
)
from lmc.datasets import DATASETS, SPLITS, DatasetError

try:
    ARTEFACTS = grid.built_artefacts(config)
    # Artefacts built from trained pairs; the others (Table 3) are computed from the
    # model classes alone.
    TRAINED = lmc_artefacts.trained(ARTEFACTS)
    ENTRIES = {a: grid.artefact_settings(config, a) for a in TRAINED}
    RUNS = grid.all_runs(config, ARTEFACTS)
except grid.GridError as e:
    sys.exit(f"config error: {e}")
for problem in lmc_config.check_settings(ENTRIES):
    sys.exit(problem)
# Artefacts that are figures in the paper: a plot (png, pdf) besides the table of its numbers.
FIGURES = lmc_artefacts.figures(TRAINED)
PAIRS = list(range(config["pairs"]))
DATASET_ROOT = config["dataset_root"]


wildcard_constraints:
    run="[0-9a-f]{12}",
    k="[0-9]+",
    dataset="|".join(DATASETS),
    artefact="|".join(TRAINED) if TRAINED else "none",


# --- where every file lives: each path pattern is written once, here -----------------------
# Called without arguments they give the rule's wildcard pattern; with values, one file.


def beton_file(split, dataset="{dataset}"):
    return f"results/datasets/{dataset}/{split}.beton"


def beton_record_file(split, dataset="{dataset}"):
    """Size and hashes of a .beton, written beside it by convert (lmc.beton.record_path)."""
    return str(lmc_beton.record_path(beton_file(split, dataset)))


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


def code_of(*roots):
    """The `code` param of a rule: a digest of the lmc modules `roots` (those its script
    calls) and everything they import, so a code change re-runs what it produced and a
    comment or docstring edit re-runs nothing (lmc/code.py)."""
    return lmc_code.digest(*roots)


def setting_of(wildcards):
    return RUNS[wildcards.run]


def seeds_of(wildcards):
    return grid.pair_seeds(RUNS[wildcards.run], int(wildcards.k))


_CHECKED_BETONS = set()


def checked_beton(path):
    """`path`, once checked against its record (cheap: size and mtime; a full hash only
    when it was touched after conversion). Done while the DAG is built, so a changed
    .beton stops the workflow with one line before Snakemake deletes the old outputs of
    any job that would read it. Once per file and process: a convert job running in this
    workflow may replace the file later, legitimately."""
    if path not in _CHECKED_BETONS:
        try:
            lmc_beton.check_beton_unchanged(path)
        except DatasetError as e:
            sys.exit(str(e))
        _CHECKED_BETONS.add(path)
    return path


def betons_of_run(wildcards):
    """The run's .beton files (checked, and ancient: their mtime alone re-runs nothing) and
    their records (small, so Snakemake compares their checksums: a rebuilt .beton with the
    same content re-runs nothing in later invocations, other content re-runs the jobs)."""
    ds = RUNS[wildcards.run]["dataset"]
    files = {split: ancient(checked_beton(beton_file(split, ds))) for split in SPLITS}
    files.update({f"{split}_record": beton_record_file(split, ds) for split in SPLITS})
    return files


def raw_files_of_dataset(wildcards):
    """The raw files the download rule leaves under dataset_root (lmc.data.raw_files), as
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


def train_mem_mb(wildcards):
    return lmc_resources.train_mem_mb(RUNS[wildcards.run])


def train_runtime(wildcards):
    return lmc_resources.train_runtime_min(RUNS[wildcards.run])


def eval_mem_mb(wildcards):
    return lmc_resources.eval_mem_mb(RUNS[wildcards.run], len(config["alphas"]))


def eval_runtime(wildcards):
    return lmc_resources.eval_runtime_min(RUNS[wildcards.run], len(config["alphas"]))


def artefact_pairs(wildcards):
    """Every (setting, pair) file aggregation needs for one artefact."""
    files = {"settings": [], "metrics": [], "paths": [], "aligned": []}
    for entry in ENTRIES[wildcards.artefact]:
        for k in PAIRS:
            files["settings"].append(run_file("setting.json", entry["run_id"]))
            files["metrics"].append(pair_file("metrics.csv", entry["run_id"], k))
            files["paths"].append(pair_file("interpolation.csv", entry["run_id"], k))
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
    """The paper's figure of a figure artefact, and every artefact's path figure."""
    out = {f"paths_{ext}": figure_file(f"{artefact}_paths", ext) for ext in ("png", "pdf")}
    if artefact in FIGURES:
        out.update({ext: figure_file(artefact, ext) for ext in ("png", "pdf")})
    return out


def artefact_outputs(artefacts):
    """Every file `snakemake <artefact>` (and `all`) makes for these artefacts."""
    out = []
    for a in artefacts:
        out += list(table_outputs(a).values())
        if a in TRAINED:
            out += list(figure_outputs(a).values()) + analysis_outputs(a)  # rules/analyses.smk
    return out


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
