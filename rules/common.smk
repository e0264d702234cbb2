# The experiment grid (config -> settings -> run ids) and the input/param/resource
# functions every rule uses. No logic lives in the rules themselves.
from lmc import grid, resources as lmc_resources
from lmc.data import DATASETS


try:
    ARTEFACTS = list(config["artefacts"])
    ENTRIES = {a: grid.artefact_settings(config, a) for a in ARTEFACTS}
    RUNS = grid.all_runs(config, ARTEFACTS)
except grid.GridError as e:
    sys.exit(f"config error: {e}")
PAIRS = list(range(config["pairs"]))
DATASET_ROOT = config["dataset_root"]


wildcard_constraints:
    run="[0-9a-f]{12}",
    k="[0-9]+",
    dataset="|".join(DATASETS),
    artefact="|".join(ARTEFACTS) if ARTEFACTS else "none",


def setting_of(wildcards):
    return RUNS[wildcards.run]


def seeds_of(wildcards):
    return grid.pair_seeds(RUNS[wildcards.run], int(wildcards.k))


def betons_of_run(wildcards):
    ds = RUNS[wildcards.run]["dataset"]
    return {
        "train": f"results/datasets/{ds}/train.beton",
        "test": f"results/datasets/{ds}/test.beton",
    }


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


def pair_dir(run, k):
    return f"results/runs/{run}/pair{k}"


def artefact_pairs(wildcards):
    """Every (setting, pair) file aggregation needs for one artefact."""
    files = {"settings": [], "metrics": [], "paths": []}
    for entry in ENTRIES[wildcards.artefact]:
        for k in PAIRS:
            files["settings"].append(f"results/runs/{entry['run_id']}/setting.json")
            files["metrics"].append(f"{pair_dir(entry['run_id'], k)}/metrics.csv")
            files["paths"].append(f"{pair_dir(entry['run_id'], k)}/interpolation.csv")
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
                }
            )
    return cells


def artefact_outputs(artefacts):
    out = []
    for a in artefacts:
        out += [f"results/tables/{a}.{ext}" for ext in ("md", "tex", "csv")]
        out += [f"results/figures/{a}_paths.{ext}" for ext in ("png", "pdf")]
    return out


def dataset_dir(wildcards):
    return f"{DATASET_ROOT}/{wildcards.dataset}"
