# train_pair: networks A and B of one pair, from one initialisation, two data orders.


# In-process (`run:`), not a script: one per setting, and a script job would spend seconds
# starting Python to write a few hundred bytes.
rule setting:
    output:
        run_file("setting.json"),
    log:
        log_file("setting", "{run}"),
    localrule: True
    params:
        setting=setting_of,
        code=code_of("grid", "runs"),
    run:
        lmc_runs.write_setting(params.setting, output[0], log[0])


rule train_pair:
    input:
        unpack(betons_of_run),
        setting=rules.setting.output[0],
    output:
        init=pair_file("init.pt"),
        a=pair_file("a.pt"),
        b=pair_file("b.pt"),
        metrics=pair_file("metrics.csv"),
        seeds=pair_file("seeds.json"),
        provenance=pair_file("provenance.json"),
    log:
        pair_file("train.log"),
    benchmark:
        pair_file("train.bench.tsv")
    group:
        "pair"
    conda:
        "../envs/lmc.yaml"
    threads: config["threads"]
    resources:
        gpu=1,
        cpus_per_task=config["threads"],
        mem_mb=train_mem_mb,
        runtime=train_runtime,
    params:
        seeds=seeds_of,
        state=pair_file("train_state.pt"),
        history=pair_file("train.attempts.log"),
        data_path=config["data_path"],
        device=config["device"],
        checkpoint_every=config["checkpoint_every"],
        code=code_of("train_job"),
    script:
        "../scripts/train_pair.py"


rule run_index:
    input:
        [run_file("setting.json", run) for run in sorted(RUNS)],
    output:
        runs_index_file(),
    log:
        log_file("run_index", "index"),
    localrule: True
    conda:
        "../envs/lmc.yaml"
    params:
        runs=sorted(RUNS),
        code=code_of("runs"),
    script:
        "../scripts/run_index.py"


rule provenance_table:
    input:
        [pair_file("provenance.json", run, k) for run in sorted(RUNS) for k in PAIRS],
    output:
        report(
            provenance_index_file(),
            caption="../docs/report/provenance.rst",
            category="Provenance",
            labels={"file": "provenance.csv"},
        ),
    log:
        log_file("provenance_table", "provenance"),
    localrule: True
    conda:
        "../envs/lmc.yaml"
    params:
        runs=[run for run in sorted(RUNS) for k in PAIRS],
        pairs=[k for run in sorted(RUNS) for k in PAIRS],
    script:
        "../scripts/provenance_table.py"
