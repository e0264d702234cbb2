# interpolate -> aggregate: 11 points on the linear path of every pair, then barriers per artefact.


rule interpolate:
    input:
        unpack(betons_of_run),
        weights=[w for pair in weight_files()[0] for w in pair],
    output:
        interpolation_files()[0],
    log:
        run_file("interpolate.log"),
    benchmark:
        run_file("interpolate.bench.tsv")
    wildcard_constraints:
        run=UNBUNDLED,
    # One job per setting, every pair's path in one process. One cluster job per setting:
    # the interpolation runs right after the training in the same SLURM allocation
    # (resources: max over the two, runtimes added).
    group:
        "setting"
    conda:
        "../envs/lmc.yaml"
    threads: config["threads"]
    resources:
        **GPU_JOB,
        mem_mb=eval_mem_mb,
        runtime=eval_runtime,
    params:
        settings=operational(settings_of),
        weights=operational(filled(weight_files())),
        outputs=operational(filled(interpolation_files())),
        betons=operational(betons_param),
        alphas=config["alphas"],
        device=operational(config["device"]),
        batch_size=operational(config["eval_batch_size"]),
        code=code_of("jobs.interpolate"),
    script:
        "../scripts/interpolate.py"


# The paths of a bundle's settings, in one job (see train_bundle_* in rules/train.smk).
for bundle in BUNDLES:

    rule:
        name:
            bundle_rule("interpolate", bundle)
        input:
            **dataset_inputs(bundle_dataset(bundle)),
            weights=[w for run in weight_files(BUNDLES[bundle]) for pair in run for w in pair],
        output:
            [f for run in interpolation_files(BUNDLES[bundle]) for f in run],
        log:
            bundle_file("interpolate.log", bundle),
        benchmark:
            bundle_file("interpolate.bench.tsv", bundle)
        priority: bundle_priority(bundle)
        group:
            f"bundle_{bundle}"
        conda:
            "../envs/lmc.yaml"
        threads: config["threads"]
        resources:
            **GPU_JOB,
            mem_mb=lmc_resources.eval_mem_mb(bundle_settings(bundle), len(config["alphas"])),
            runtime=lmc_resources.eval_runtime_min(bundle_settings(bundle), len(config["alphas"]), len(PAIRS)),
        params:
            settings=operational(bundle_settings(bundle)),
            weights=operational(weight_files(BUNDLES[bundle])),
            outputs=operational(interpolation_files(BUNDLES[bundle])),
            betons=operational(betons_of(bundle_dataset(bundle))),
            alphas=config["alphas"],
            device=operational(config["device"]),
            batch_size=operational(config["eval_batch_size"]),
            code=code_of("jobs.interpolate"),
        script:
            "../scripts/interpolate.py"


rule aggregate:
    input:
        unpack(artefact_pairs),
    output:
        barriers=barriers_file(),
        paths=barriers_file("_paths"),
    log:
        log_file("aggregate", "{artefact}"),
    localrule: True
    conda:
        "../envs/lmc.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        cells=artefact_cells,
        code=code_of("aggregate.barriers"),
    script:
        "../scripts/aggregate.py"
