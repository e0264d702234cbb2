# interpolate -> aggregate: 11 points on the linear path, then barriers per artefact.


rule interpolate:
    input:
        unpack(betons_of_run),
        setting=rules.setting.output[0],
        a=rules.train_pair.output.a,
        b=rules.train_pair.output.b,
    output:
        pair_file("interpolation.csv"),
    log:
        pair_file("interpolate.log"),
    benchmark:
        pair_file("interpolate.bench.tsv")
    # One cluster job per pair: the short interpolation runs right after its training in
    # the same SLURM allocation (resources: max over the two, runtimes added).
    group:
        "pair"
    conda:
        "../envs/lmc.yaml"
    threads: config["threads"]
    resources:
        gpu=1,
        cpus_per_task=config["threads"],
        mem_mb=eval_mem_mb,
        runtime=eval_runtime,
    params:
        alphas=config["alphas"],
        device=config["device"],
        batch_size=config["eval_batch_size"],
        code=code_of("interpolate_job"),
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
        code=code_of("aggregate"),
    script:
        "../scripts/aggregate.py"
