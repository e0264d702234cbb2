# Helpers of the analyses beyond the paper (rules/analyses.smk): which settings run which
# analysis, where their files are, what the aggregation and renders read. Included after
# rules/common.smk, before any rule uses them.


ALIGN_METHOD = config["analysis"]["align"]["method"]
for problem in lmc_config.check_analyses(ENTRIES, config):
    sys.exit(problem)


def analysis_entries(artefact, analysis):
    """(grid position, entry) of the artefact's settings that run `analysis`."""
    return [(i, e) for i, e in enumerate(ENTRIES.get(artefact, [])) if analysis in e["analyses"]]


def analysis_runs(analysis):
    return sorted({e["run_id"] for a in TRAINED for _, e in analysis_entries(a, analysis)})


def pairs_of(name):
    """One file per pair of the {run} wildcard's setting (a rule's input or output list)."""
    return [pair_file(name, k=k) for k in PAIRS]


def aligned_file(name, run, k):
    """A pair's file of its alignment (by the configured method)."""
    return pair_file(f"align_{ALIGN_METHOD}/{name}", run, k)


def aligned_path_of(run_id, k):
    """Where a pair's aligned path is (the aggregate rule reads it beside the naive one)."""
    return aligned_file(pair_files.INTERPOLATION, run_id, k)


def aligned_cell(entry, k):
    """What aggregation needs of a pair's alignment (nothing where its setting does not align)."""
    if "align" not in entry["analyses"]:
        return {}
    return {"aligned_csv": aligned_path_of(entry["run_id"], k), "align_method": ALIGN_METHOD}


def analysis_cells(artefact, analysis, files):
    """Grid position, label, run id, pair and the per-pair files (`files`: key -> file name)
    of each pair of the artefact's settings that run `analysis`, in input order."""
    return [
        {
            "cell": i,
            "label": e["coords"].get("label", ""),
            "run_id": e["run_id"],
            "pair": k,
            **{key: pair_file(name, e["run_id"], k) for key, name in files.items()},
        }
        for i, e in analysis_entries(artefact, analysis)
        for k in PAIRS
    ]


LAYERWISE_FILES = {"layerwise_csv": "layerwise.csv"}
DERIVATIVES_FILES = {"derivatives_json": pair_files.DERIVATIVES, "path_csv": pair_files.INTERPOLATION}
PLANE_FILES = {"plane_csv": "plane.csv", "anchors_json": "plane.json"}


def layerwise_outputs(artefact):
    out = {ext: table_file(f"{artefact}_layerwise", ext) for ext in ("md", "tex", "csv", "html")}
    out.update({f"fig_{ext}": figure_file(f"{artefact}_layerwise", ext) for ext in ("png", "pdf")})
    out["barriers"] = barriers_file("_layerwise", artefact)
    return out


def plane_outputs(artefact):
    return {ext: figure_file(f"{artefact}_plane", ext) for ext in ("png", "pdf")}


PACKED_ANALYSES = ("align", "layerwise", "derivatives")


def _packed_jobs(analysis):
    """The runs each <analysis>_<artefact>_<dataset> job takes: every setting of an artefact
    (and dataset) that runs `analysis`, a setting shared by artefacts under the first, so
    that one process does a whole artefact (start-up and the splits' read paid once)."""
    jobs, seen = {}, set()
    for a in TRAINED:
        for _, e in analysis_entries(a, analysis):
            if e["run_id"] not in seen:
                seen.add(e["run_id"])
                jobs.setdefault(f"{a}_{RUNS[e['run_id']]['dataset']}", []).append(e["run_id"])
    return jobs


ANALYSIS_JOBS = {analysis: _packed_jobs(analysis) for analysis in PACKED_ANALYSES}


def barrier_prediction_cells():
    """Every pair with derivatives, of every artefact (a setting shared by artefacts once,
    under the first), with its artefact and files (lmc.analyses.barrier_prediction.tables)."""
    cells, seen = [], set()
    for a in TRAINED:
        for c in analysis_cells(a, "derivatives", DERIVATIVES_FILES):
            if (c["run_id"], c["pair"]) not in seen:
                seen.add((c["run_id"], c["pair"]))
                cells.append({"artefact": a, **c})
    return cells


def barrier_prediction_outputs():
    """The barrier_prediction target's files (none when no artefact runs `derivatives`)."""
    if not barrier_prediction_cells():
        return {}
    out = {ext: table_file("barrier_prediction", ext) for ext in ("md", "tex", "csv", "html")}
    out.update({f"fig_{ext}": figure_file("barrier_prediction", ext) for ext in ("png", "pdf")})
    out.update(
        {
            "pairs": barriers_file("_pairs", "barrier_prediction"),
            "layers": barriers_file("_layers", "barrier_prediction"),
        }
    )
    return out


def analysis_outputs(artefact):
    """The files of the artefact's analyses (the aligned barriers are in its own table,
    CSV and path figure)."""
    out = []
    if analysis_entries(artefact, "layerwise"):
        out += list(layerwise_outputs(artefact).values())
    if analysis_entries(artefact, "plane"):
        out += list(plane_outputs(artefact).values())
    return out


def toy_outputs():
    """The toy_barrier target's files (none without `analysis.toy`)."""
    if "toy" not in config["analysis"]:
        return {}
    out = {ext: table_file("toy_barrier", ext) for ext in ("md", "tex", "csv", "html")}
    out.update({f"fig_{ext}": figure_file("toy_barrier", ext) for ext in ("png", "pdf")})
    out["pairs"] = barriers_file("_pairs", "toy_barrier")
    return out
