# train_setting: networks A and B of every pair of a setting, each pair from one
# initialisation, every member with its own data order.


# One job per setting: all its pairs as one batched computation (a pair alone pays
# Python's and torch's start-up for seconds of work), or one job per chunk of
# `pairs_per_job` pairs; each chunk is a rule of its own because a rule's outputs are
# fixed. Each pair's files land in results/runs/{run}/pair{k}/ either way, with the same
# bytes on CPU.
# The runs of barrier_over_time also save snapshots: a rule of their own
# (train_setting_snapshots), as their outputs differ.
for pairs, snapshots in [(p, s) for p in PAIR_CHUNKS for s in (False, True)]:

    rule:
        name:
            train_rule_name(pairs, snapshots)
        input:
            unpack(betons_of_run),
        output:
            **train_outputs(pairs, snapshots=snapshots),
        log:
            run_file(f"train{chunk_name(pairs)}.log"),
        benchmark:
            run_file(f"train{chunk_name(pairs)}.bench.tsv")
        wildcard_constraints:
            run=SNAPSHOTTED_RUNS if snapshots else PLAIN_RUNS,
        # the snapshot runs start a long chain (snapshot paths, the analyses of Table 2's
        # settings): first, so that the chain does not end the workflow on one core
        priority: 1 if snapshots else 0
        group:
            "setting"
        conda:
            "../envs/lmc.yaml"
        threads: config["threads"]
        resources:
            **GPU_JOB,
            mem_mb=train_mem_mb(pairs),
            runtime=train_runtime(pairs),
        params:
            settings=operational(settings_of),
            betons=operational(betons_param),
            pairs=operational(pairs),
            seeds=operational(seeds_of(pairs)),
            state=operational(run_file(f"train_state{chunk_name(pairs)}.pt")),
            history=operational(run_file(f"train{chunk_name(pairs)}.attempts.log")),
            data_path=config["data_path"],
            device=operational(config["device"]),
            checkpoint_every=operational(config["checkpoint_every"]),
            snapshot_epochs=SNAPSHOT_EPOCHS if snapshots else [],
            code=code_of("jobs.train"),
        script:
            "../scripts/train.py"


# `bundle: N`: up to N settings of one artefact that differ only in per-member
# hyperparameters (lmc.config.grid.PER_MEMBER_KEYS) trained as one computation, one rule each
# (its outputs are those runs' files). The GPU lever: see docs/performance.md.
for bundle in BUNDLES:

    rule:
        name:
            bundle_rule("train", bundle)
        input:
            **dataset_inputs(bundle_dataset(bundle)),
        output:
            **train_outputs(PAIRS, BUNDLES[bundle]),
        log:
            bundle_file("train.log", bundle),
        benchmark:
            bundle_file("train.bench.tsv", bundle)
        priority: bundle_priority(bundle)
        group:
            f"bundle_{bundle}"
        conda:
            "../envs/lmc.yaml"
        threads: config["threads"]
        resources:
            **GPU_JOB,
            mem_mb=lmc_resources.train_mem_mb(bundle_settings(bundle), len(PAIRS)),
            runtime=lmc_resources.train_runtime_min(bundle_settings(bundle), len(PAIRS)),
        params:
            settings=operational(bundle_settings(bundle)),
            betons=operational(betons_of(bundle_dataset(bundle))),
            pairs=operational(PAIRS),
            seeds=operational(bundle_seeds(bundle)),
            state=operational(bundle_file("train_state.pt", bundle)),
            history=operational(bundle_file("train.attempts.log", bundle)),
            data_path=config["data_path"],
            device=operational(config["device"]),
            checkpoint_every=operational(config["checkpoint_every"]),
            snapshot_epochs=[],
            code=code_of("jobs.train"),
        script:
            "../scripts/train.py"


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
        code=code_of("jobs.setup"),
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
        pairs=operational([k for run in sorted(RUNS) for k in PAIRS]),
    script:
        "../scripts/provenance_table.py"
