# Beyond the paper: analyses of the trained pairs, computed from the cached init.pt, a.pt and
# b.pt (no retraining), each stage its own cached file. One job per artefact, dataset and
# analysis (align, layerwise, derivatives: every pair of every setting in one process, the
# splits read once) or per setting (plane), with per-pair outputs.
#   align      B permuted to match A (permutation, aligned B) and the aligned path, in one
#              job (three cached files per pair; a separate path job would be mostly start-up)
#   layerwise  each layer of A (of B) replaced by the average of A's and B's
#   plane      train/test error and loss on the plane through init, A and B
#   derivatives  ℓ, ℓ′, ℓ″ along the path and each layer's (train split), for the
#              barrier_prediction target (lmc.analyses.barrier_prediction)
# Switched on per artefact by `analyses:` (lmc.config.grid); parameters under `analysis:`.


# One job per artefact and dataset for align and layerwise (every pair of every setting
# that runs it; start-up and the splits' read paid once, like the derivatives below).
for _job, _runs in ANALYSIS_JOBS["align"].items():

    rule:
        name:
            f"align_pairs_{_job}"
        input:
            **dataset_inputs(RUNS[_runs[0]]["dataset"]),
            a=[pair_file("a.pt", r, k) for r in _runs for k in PAIRS],
            b=[pair_file("b.pt", r, k) for r in _runs for k in PAIRS],
        output:
            permutation=[aligned_file("permutation.json", r, k) for r in _runs for k in PAIRS],
            aligned=[aligned_file("b.pt", r, k) for r in _runs for k in PAIRS],
            path=[aligned_file(pair_files.INTERPOLATION, r, k) for r in _runs for k in PAIRS],
        log:
            log_file(f"align_{ALIGN_METHOD}", _job),
        benchmark:
            benchmark_file(f"align_{ALIGN_METHOD}", _job)
        priority: 1
        conda:
            "../envs/lmc.yaml"
        threads: config["threads"]
        resources:
            **GPU_JOB,
            mem_mb=lmc_resources.eval_mem_mb([RUNS[r] for r in _runs], len(config["alphas"])),
            runtime=lmc_resources.analysis_runtime_min([RUNS[r] for r in _runs], "align", len(PAIRS), config),
        params:
            settings=operational([RUNS[r] for r in _runs]),
            pairs=operational(len(PAIRS)),
            betons=operational(betons_of(RUNS[_runs[0]]["dataset"])),
            method=ALIGN_METHOD,
            seed=config["analysis"]["align"]["seed"],
            max_sweeps=config["analysis"]["align"]["max_sweeps"],
            alphas=config["alphas"],
            device=operational(config["device"]),
            batch_size=operational(config["eval_batch_size"]),
            code=code_of("jobs.analyses"),
        script:
            "../scripts/align.py"


for _job, _runs in ANALYSIS_JOBS["layerwise"].items():

    rule:
        name:
            f"layerwise_barriers_{_job}"
        input:
            **dataset_inputs(RUNS[_runs[0]]["dataset"]),
            a=[pair_file("a.pt", r, k) for r in _runs for k in PAIRS],
            b=[pair_file("b.pt", r, k) for r in _runs for k in PAIRS],
        output:
            [pair_file("layerwise.csv", r, k) for r in _runs for k in PAIRS],
        log:
            log_file("layerwise_barriers", _job),
        benchmark:
            benchmark_file("layerwise_barriers", _job)
        priority: 1
        conda:
            "../envs/lmc.yaml"
        threads: config["threads"]
        resources:
            **GPU_JOB,
            mem_mb=lmc_resources.eval_mem_mb([RUNS[r] for r in _runs], len(config["alphas"])),
            runtime=lmc_resources.analysis_runtime_min(
                [RUNS[r] for r in _runs], "layerwise", len(PAIRS), config
            ),
        params:
            settings=operational([RUNS[r] for r in _runs]),
            pairs=operational(len(PAIRS)),
            betons=operational(betons_of(RUNS[_runs[0]]["dataset"])),
            device=operational(config["device"]),
            batch_size=operational(config["eval_batch_size"]),
            code=code_of("jobs.analyses"),
        script:
            "../scripts/layerwise.py"


rule plane_grid:
    input:
        unpack(betons_of_run),
        init=pairs_of("init.pt"),
        a=pairs_of("a.pt"),
        b=pairs_of("b.pt"),
    output:
        plane=pairs_of("plane.csv"),
        anchors=pairs_of("plane.json"),
    log:
        run_file("plane.log"),
    benchmark:
        run_file("plane.bench.tsv")
    conda:
        "../envs/lmc.yaml"
    threads: config["threads"]
    resources:
        **GPU_JOB,
        mem_mb=eval_mem_mb,
        runtime=eval_runtime,
    params:
        setting=setting_of,
        betons=betons_param,
        grid=config["analysis"]["plane"]["grid"],
        margin=config["analysis"]["plane"]["margin"],
        device=config["device"],
        batch_size=config["eval_batch_size"],
        code=code_of("jobs.analyses"),
    script:
        "../scripts/plane.py"


# One job per artefact and dataset: ℓ, ℓ′, ℓ″ of every pair of its settings (each setting's
# pairs batched; start-up paid once for the whole artefact).
for _job, _runs in ANALYSIS_JOBS["derivatives"].items():

    rule:
        name:
            f"path_derivatives_{_job}"
        input:
            **dataset_inputs(RUNS[_runs[0]]["dataset"]),
            init=[pair_file("init.pt", r, k) for r in _runs for k in PAIRS],
            a=[pair_file("a.pt", r, k) for r in _runs for k in PAIRS],
            b=[pair_file("b.pt", r, k) for r in _runs for k in PAIRS],
        output:
            [pair_file(pair_files.DERIVATIVES, r, k) for r in _runs for k in PAIRS],
        log:
            log_file("path_derivatives", _job),
        benchmark:
            benchmark_file("path_derivatives", _job)
        # one long job per artefact: started as soon as its inputs exist, so that it does
        # not run alone on one core at the end of the workflow
        priority: 1
        conda:
            "../envs/lmc.yaml"
        threads: config["threads"]
        resources:
            **GPU_JOB,
            mem_mb=lmc_resources.eval_mem_mb([RUNS[r] for r in _runs], len(config["alphas"])),
            runtime=lmc_resources.analysis_runtime_min(
                [RUNS[r] for r in _runs], "derivatives", len(PAIRS), config
            ),
        params:
            settings=operational([RUNS[r] for r in _runs]),
            pairs=operational(len(PAIRS)),
            betons=operational(betons_of(RUNS[_runs[0]]["dataset"])),
            device=operational(config["device"]),
            batch_size=operational(config["eval_batch_size"]),
            samples=config["analysis"]["derivatives"]["samples"],
            code=code_of("jobs.analyses"),
        script:
            "../scripts/path_derivatives.py"


# Geometry along training: the derivatives at every snapshot epoch and spawn point of the
# dynamics artefacts that list `derivatives`, one job per dataset (every setting and point
# in one process; lmc.analyses.geometry_over_training).
for _dataset, (_reads, _groups) in geometry_jobs().items():

    rule:
        name:
            f"path_derivatives_over_training_{_dataset}"
        input:
            **dataset_inputs(_dataset),
            points=_reads,
        output:
            [f["derivatives"] for _, pairs in _groups for f in pairs],
        log:
            log_file("path_derivatives_over_training", _dataset),
        benchmark:
            benchmark_file("path_derivatives_over_training", _dataset)
        priority: 1
        conda:
            "../envs/lmc.yaml"
        threads: config["threads"]
        resources:
            **GPU_JOB,
            mem_mb=lmc_resources.eval_mem_mb([s for s, _ in _groups], len(config["alphas"])),
            runtime=lmc_resources.analysis_runtime_min(
                [s for s, _ in _groups], "derivatives", len(PAIRS), config
            ),
        params:
            groups=operational(_groups),
            betons=operational(betons_of(_dataset)),
            device=operational(config["device"]),
            batch_size=operational(config["eval_batch_size"]),
            samples=config["analysis"]["derivatives"]["samples"],
            code=code_of("jobs.analyses"),
        script:
            "../scripts/path_derivatives_over_training.py"


# Per artefact: the layer-wise heatmap and table, the plane figure (report captions in
# docs/report/layerwise.rst and plane.rst).
for _artefact in TRAINED:
    _title = artefact_title(_artefact)
    if analysis_entries(_artefact, "layerwise"):
        _out = layerwise_outputs(_artefact)
        _labels = {"artefact": _artefact}

        rule:
            name:
                f"render_layerwise_{_artefact}"
            input:
                barriers=barriers_file(artefact=_artefact),
                layerwise=[
                    c["layerwise_csv"] for c in analysis_cells(_artefact, "layerwise", LAYERWISE_FILES)
                ],
            output:
                **{
                    **_out,
                    "html": report(
                        _out["html"],
                        caption="../docs/report/layerwise.rst",
                        category=_title,
                        labels={**_labels, "file": "layer-wise barriers (table)"},
                    ),
                    "fig_png": report(
                        _out["fig_png"],
                        caption="../docs/report/layerwise.rst",
                        category=_title,
                        labels={**_labels, "file": "layer-wise barriers"},
                    ),
                },
            log:
                log_file("render_layerwise", _artefact),
            localrule: True
            conda:
                "../envs/lmc.yaml"
            resources:
                mem_mb=2000,
                runtime=10,
            params:
                artefact=_artefact,
                cells=analysis_cells(_artefact, "layerwise", LAYERWISE_FILES),
                provenance=artefact_provenance(_artefact),
                code=code_of("report.analyses"),
            script:
                "../scripts/render_layerwise.py"

    if analysis_entries(_artefact, "plane"):
        _out = plane_outputs(_artefact)

        rule:
            name:
                f"render_plane_{_artefact}"
            input:
                barriers=barriers_file(artefact=_artefact),
                plane=[c["plane_csv"] for c in analysis_cells(_artefact, "plane", PLANE_FILES)],
                anchors=[c["anchors_json"] for c in analysis_cells(_artefact, "plane", PLANE_FILES)],
            output:
                png=report(
                    _out["png"],
                    caption="../docs/report/plane.rst",
                    category=_title,
                    labels={"artefact": _artefact, "file": "plane through init, A, B"},
                ),
                pdf=_out["pdf"],
            log:
                log_file("render_plane", _artefact),
            localrule: True
            conda:
                "../envs/lmc.yaml"
            resources:
                mem_mb=2000,
                runtime=10,
            params:
                artefact=_artefact,
                cells=analysis_cells(_artefact, "plane", PLANE_FILES),
                provenance=artefact_provenance(_artefact),
                code=code_of("report.analyses"),
            script:
                "../scripts/render_plane.py"


# Named targets: every configured artefact's analyses of one kind.
rule align:
    input:
        [aligned_path_of(run, k) for run in analysis_runs("align") for k in PAIRS],
        [barriers_file(artefact=a) for a in TRAINED if analysis_entries(a, "align")],
    localrule: True


rule layerwise:
    input:
        [f for a in TRAINED if analysis_entries(a, "layerwise") for f in layerwise_outputs(a).values()],
    localrule: True


rule plane:
    input:
        [f for a in TRAINED if analysis_entries(a, "plane") for f in plane_outputs(a).values()],
    localrule: True


if barrier_prediction_outputs():
    _out = barrier_prediction_outputs()

    rule render_barrier_prediction:
        input:
            derivatives=[c["derivatives_json"] for c in barrier_prediction_cells()],
            paths=[c["path_csv"] for c in barrier_prediction_cells()],
        output:
            **{
                **_out,
                "fig_png": report(
                    _out["fig_png"],
                    caption="../docs/report/barrier_prediction.rst",
                    category="Barrier prediction",
                    labels={"file": "predicted against measured barriers"},
                ),
                "html": report(
                    _out["html"],
                    caption="../docs/report/barrier_prediction.rst",
                    category="Barrier prediction",
                    labels={"file": "how well the predictors did (table)"},
                ),
            },
        log:
            log_file("render_barrier_prediction", "barrier_prediction"),
        localrule: True
        conda:
            "../envs/lmc.yaml"
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            cells=barrier_prediction_cells(),
            code=code_of("report.barrier_prediction"),
        script:
            "../scripts/render_barrier_prediction.py"


rule barrier_prediction:
    input:
        list(barrier_prediction_outputs().values()),
    localrule: True


if geometry_outputs():
    _out = geometry_outputs()

    rule render_geometry_over_training:
        input:
            [c["derivatives_json"] for c in geometry_cells()],
        output:
            **{
                **_out,
                "fig_png": report(
                    _out["fig_png"],
                    caption="../docs/report/geometry_over_training.rst",
                    category="Geometry along training",
                    labels={"file": "the path's shape against t and k"},
                ),
                "html": report(
                    _out["html"],
                    caption="../docs/report/geometry_over_training.rst",
                    category="Geometry along training",
                    labels={"file": "the path's shape (table)"},
                ),
            },
        log:
            log_file("render_geometry_over_training", "geometry_over_training"),
        localrule: True
        conda:
            "../envs/lmc.yaml"
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            cells=[
                {
                    k: c[k]
                    for k in ("kind", "label", "dataset", "run_id", "pair", "x", "unit", "derivatives_json")
                }
                for c in geometry_cells()
            ],
            code=code_of("report.geometry_over_training"),
        script:
            "../scripts/render_geometry_over_training.py"


rule geometry_over_training:
    input:
        list(geometry_outputs().values()),
    localrule: True


# The toy example (lmc.analyses.toy): a two-parameter model, every run in one process, seconds.
if "toy" in config["analysis"]:
    _out = toy_outputs()

    rule render_toy_barrier:
        output:
            **{
                **_out,
                "fig_png": report(
                    _out["fig_png"],
                    caption="../docs/report/toy_barrier.rst",
                    category="Toy example",
                    labels={"file": "a barrier forming in two dimensions"},
                ),
            },
        log:
            log_file("render_toy_barrier", "toy_barrier"),
        localrule: True
        conda:
            "../envs/lmc.yaml"
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            toy=config["analysis"]["toy"],
            code=code_of("report.toy"),
        script:
            "../scripts/render_toy_barrier.py"


rule toy_barrier:
    input:
        list(toy_outputs().values()),
    localrule: True
