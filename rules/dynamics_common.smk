# The training-dynamics artefacts' grid (spawn points, snapshot epochs, the runs they
# apply to) and the input/param functions of rules/dynamics.smk.
SPAWN_POINTS = lmc_dynamics.spawn_points(config, TRAINED)  # name -> point, k = 0 included
SPAWNED = {n: p for n, p in SPAWN_POINTS.items() if p > 0}  # the points A and B are spawned at
SPAWN_RUNS = sorted({e["run_id"] for e in ENTRIES.get(lmc_dynamics.SPAWN, [])})


def spawn_file(name, point, run="{run}"):
    return run_file(f"spawn/{point}/{name}", run)


def spawned_outputs(*names):
    """{a0_1: results/runs/{run}/spawn/{point 1}/pair0/a.pt, ...}: the files of every pair
    at every spawn point k > 0 (suffix: the point's position in SPAWNED), the outputs of
    one spawn_pairs (or interpolate_spawned) job: every point of a setting in one process."""
    return {
        f"{n.split('.')[0]}{k}_{i}": spawn_file(f"pair{k}/{n}", name)
        for i, name in enumerate(SPAWNED)
        for k in PAIRS
        for n in names
    }


def spawned_train_runtime(wildcards):
    """At most a whole training per spawn point (A and B spawned at k train to the end)."""
    return lmc_resources.train_runtime_min([RUNS[wildcards.run]] * len(SPAWNED), len(PAIRS))


def spawned_eval_runtime(wildcards):
    return lmc_resources.eval_runtime_min(
        [RUNS[wildcards.run]] * len(SPAWNED), len(config["alphas"]), len(PAIRS)
    )


def snapshot_outputs(pairs=None):
    """{a_e5: results/runs/{run}/pair{k}/snapshots/a_e5.pt, ...} for every snapshot epoch
    of one pair (the {k} wildcard), or {a0_e5: ...pair0/..., ...} of every pair in `pairs`."""
    return {
        f"{m}{'' if pairs is None else k}_e{t}": pair_file(
            pair_files.snapshot_file(m, t), k="{k}" if pairs is None else k
        )
        for k in pairs or [None]
        for t in SNAPSHOT_EPOCHS
        for m in "ab"
    }


def spawn_point_files(wildcards):
    """Every pair's metrics, interpolation and seeds at every spawn point, in the order of
    `spawn_cells` (k = 0: the pair's own files)."""
    files = {"metrics": [], "interpolation": [], "seeds": []}
    for entry in ENTRIES[lmc_dynamics.SPAWN]:
        for name, point in SPAWN_POINTS.items():
            for k in PAIRS:
                run = entry["run_id"]
                for key, f in (
                    ("metrics", "metrics.csv"),
                    ("interpolation", pair_files.INTERPOLATION),
                    ("seeds", "seeds.json"),
                ):
                    files[key].append(
                        pair_file(f, run, k) if point == 0 else spawn_file(f"pair{k}/{f}", name, run)
                    )
    return files


def dynamics_cells(artefact, points=(None,)):
    """Grid position, label, coordinates and setting of each input pair (and point)."""
    cells = []
    unit = config["artefacts"][artefact].get("spawn", {}).get("unit")
    for i, entry in enumerate(ENTRIES[artefact]):
        for point in points:
            for k in PAIRS:
                cells.append(
                    {
                        "cell": i,
                        "label": entry["coords"].get("label", ""),
                        "coords": entry["coords"],
                        "run_id": entry["run_id"],
                        "pair": k,
                        "setting": entry["setting"],
                        "unit": unit,
                        "point": point,
                    }
                )
    return cells


def snapshot_files(wildcards):
    files = {"metrics": [], "interpolation": []}
    for entry in ENTRIES[lmc_dynamics.SNAPSHOTS]:
        for k in PAIRS:
            files["metrics"].append(pair_file("metrics.csv", entry["run_id"], k))
            files["interpolation"].append(pair_file(pair_files.SNAPSHOT_INTERPOLATION, entry["run_id"], k))
    return files


def geometry_cells():
    """Every pair at every snapshot epoch and spawn point of a dynamics artefact that lists
    `derivatives` (lmc.analyses.geometry_over_training), setting by setting, point by point: what
    the render reads (kind, label, dataset, run_id, pair, x, unit, derivatives_json) and
    what the derivatives are taken from (init or trunk + pair; a; b; none at spawn point 0,
    which is the pair itself, whose derivatives.json the packed derivatives job writes: the
    artefact's `analyses` puts its settings there too)."""
    cells = []
    for kind, artefact in (("snapshots", lmc_dynamics.SNAPSHOTS), ("spawn", lmc_dynamics.SPAWN)):
        spec = config["artefacts"].get(artefact, {})
        unit = spec.get("spawn", {}).get("unit", "epochs")
        for _, e in analysis_entries(artefact, "derivatives"):
            run = e["run_id"]
            keys = {"kind": kind, "label": e["coords"].get("label", ""), "run_id": run, "unit": unit}
            keys["dataset"] = RUNS[run]["dataset"]
            points = SNAPSHOT_EPOCHS if kind == "snapshots" else list(SPAWN_POINTS.items())
            for point in points:
                for k in PAIRS:
                    if kind == "snapshots":
                        files = {
                            "x": point,
                            "init": pair_file("init.pt", run, k),
                            "a": pair_file(pair_files.snapshot_file("a", point), run, k),
                            "b": pair_file(pair_files.snapshot_file("b", point), run, k),
                            "derivatives_json": pair_file(pair_files.snapshot_derivatives(point), run, k),
                        }
                    else:
                        name, x = point
                        if x == 0:  # the pair itself: its derivatives.json, from the packed job
                            files = {"x": x, "derivatives_json": pair_file(pair_files.DERIVATIVES, run, k)}
                        else:
                            files = {
                                "x": x,
                                "trunk": spawn_file("trunk.pt", name, run),
                                "a": spawn_file(f"pair{k}/a.pt", name, run),
                                "b": spawn_file(f"pair{k}/b.pt", name, run),
                                "derivatives_json": spawn_file(f"pair{k}/derivatives.json", name, run),
                            }
                    cells.append({**keys, "pair": k, **files})
    return cells


def geometry_jobs():
    """dataset -> (the files its path_derivatives_over_training_<dataset> job reads, the
    (setting, pairs) groups it computes: one per setting and point, every pair batched)."""
    jobs = {}
    for c in geometry_cells():
        if "a" not in c:  # spawn point 0: the pair's own file (path_derivatives_<artefact>_<dataset>)
            continue
        reads, groups = jobs.setdefault(c["dataset"], ([], {}))
        pair = {key: c[key] for key in ("init", "trunk", "a", "b") if key in c}
        reads.extend(f for f in pair.values() if f not in reads)
        if "trunk" in pair:
            pair["pair"] = c["pair"]
        pair["derivatives"] = c["derivatives_json"]
        groups.setdefault((c["run_id"], c["kind"], c["x"]), []).append(pair)
    return {
        ds: (reads, [(RUNS[run], pairs) for (run, _, _), pairs in groups.items()])
        for ds, (reads, groups) in jobs.items()
    }


def geometry_outputs():
    """The geometry_over_training target's files (none when no dynamics artefact lists
    `derivatives`)."""
    if not geometry_cells():
        return {}
    name = "geometry_over_training"
    out = {ext: table_file(name, ext) for ext in ("md", "tex", "csv", "html")}
    out.update({f"fig_{ext}": figure_file(name, ext) for ext in ("png", "pdf")})
    out["pairs"] = barriers_file("_pairs", name)
    return out
