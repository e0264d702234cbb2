# train_pair: networks A and B of one pair, from one initialisation, two data orders.


# In-process (`run:`), not a script: one per setting, and a script job would spend seconds
# starting Python to write a few hundred bytes.
rule setting:
    output:
        "results/runs/{run}/setting.json",
    log:
        "results/logs/setting/{run}.log",
    params:
        setting=setting_of,
    localrule: True
    run:
        lmc_io.write_json(dict(params.setting), output[0])


rule train_pair:
    input:
        unpack(betons_of_run),
        setting="results/runs/{run}/setting.json",
    output:
        init="results/runs/{run}/pair{k}/init.pt",
        a="results/runs/{run}/pair{k}/a.pt",
        b="results/runs/{run}/pair{k}/b.pt",
        metrics="results/runs/{run}/pair{k}/metrics.csv",
        seeds="results/runs/{run}/pair{k}/seeds.json",
    log:
        "results/runs/{run}/pair{k}/train.log",
    benchmark:
        "results/runs/{run}/pair{k}/train.bench.tsv"
    params:
        seeds=seeds_of,
        state="results/runs/{run}/pair{k}/train_state.pt",
        data_path=config["data_path"],
        device=config["device"],
        checkpoint_every=config["checkpoint_every"],
    threads: config["threads"]
    group:
        "pair"
    resources:
        gpu=1,
        cpus_per_task=config["threads"],
        mem_mb=train_mem_mb,
        runtime=train_runtime,
    conda:
        "../envs/lmc.yaml"
    script:
        "../scripts/train_pair.py"


rule run_index:
    input:
        expand("results/runs/{run}/setting.json", run=sorted(RUNS)),
    output:
        "results/runs/index.csv",
    log:
        "results/logs/run_index.log",
    localrule: True
    conda:
        "../envs/lmc.yaml"
    script:
        "../scripts/run_index.py"
