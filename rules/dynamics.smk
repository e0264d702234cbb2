# Training dynamics (beyond the paper): when does LMC appear?
#   instability:       spawn_trunk -> spawn_pairs -> interpolate_spawned -> aggregate_instability
#                      (one job of each per setting: every pair at every spawn point k > 0)
#   barrier_over_time: train_setting_snapshots (rules/train.smk) -> interpolate_snapshots ->
#                      aggregate_barrier_over_time
# Rendering is the generic render_<artefact> rule (rules/report.smk). Paths:
#   results/runs/{run}/spawn/trunk_metrics.csv, trunk_seeds.json   the trunks of every pair
#   results/runs/{run}/spawn/{point}/trunk.pt                    their full state at the point
#   results/runs/{run}/spawn/{point}/pair{k}/a.pt b.pt metrics.csv seeds.json interpolation.csv
#   results/runs/{run}/pair{k}/snapshots/a_e{t}.pt b_e{t}.pt interpolation.csv
# k = 0 is the pair itself (results/runs/{run}/pair{k}/...): it is not trained again.
if SPAWN_RUNS:

    rule spawn_trunk:
        input:
            unpack(betons_of_run),
        output:
            states=[spawn_file("trunk.pt", name) for name in SPAWNED],
            metrics=run_file("spawn/trunk_metrics.csv"),
            seeds=run_file("spawn/trunk_seeds.json"),
        log:
            run_file("spawn/trunk.log"),
        benchmark:
            run_file("spawn/trunk.bench.tsv")
        wildcard_constraints:
            run="|".join(SPAWN_RUNS),
        # the spawn chain (trunk, spawned pairs, their paths, the derivatives) is long and
        # serial: first, so that it does not end the workflow on one core
        priority: 1
        conda:
            "../envs/lmc.yaml"
        threads: config["threads"]
        resources:
            **GPU_JOB,
            mem_mb=train_mem_mb(PAIRS),
            runtime=train_runtime(PAIRS),
        params:
            setting=setting_of,
            betons=betons_param,
            pairs=PAIRS,
            unit=config["artefacts"][lmc_dynamics.SPAWN]["spawn"]["unit"],
            points=SPAWNED,
            state=run_file("spawn/trunk_state.pt"),
            data_path=config["data_path"],
            device=config["device"],
            checkpoint_every=config["checkpoint_every"],
            code=code_of("jobs.dynamics"),
        script:
            "../scripts/spawn_trunk.py"

    rule spawn_pairs:
        input:
            unpack(betons_of_run),
            trunks=[spawn_file("trunk.pt", name) for name in SPAWNED],
        output:
            **spawned_outputs("a.pt", "b.pt", "metrics.csv", "seeds.json"),
        log:
            run_file("spawn/train.log"),
        benchmark:
            run_file("spawn/train.bench.tsv")
        wildcard_constraints:
            run="|".join(SPAWN_RUNS),
        priority: 1
        conda:
            "../envs/lmc.yaml"
        threads: config["threads"]
        resources:
            **GPU_JOB,
            mem_mb=train_mem_mb(PAIRS),
            runtime=spawned_train_runtime,
        params:
            setting=setting_of,
            betons=betons_param,
            pairs=PAIRS,
            points=list(SPAWNED),
            states=operational([spawn_file("train_state.pt", name) for name in SPAWNED]),
            data_path=config["data_path"],
            device=config["device"],
            checkpoint_every=config["checkpoint_every"],
            code=code_of("jobs.dynamics"),
        script:
            "../scripts/spawn_pairs.py"

    rule interpolate_spawned:
        input:
            unpack(betons_of_run),
            **spawned_outputs("a.pt", "b.pt"),
        output:
            **spawned_outputs(pair_files.INTERPOLATION),
        log:
            run_file("spawn/interpolate.log"),
        benchmark:
            run_file("spawn/interpolate.bench.tsv")
        wildcard_constraints:
            run="|".join(SPAWN_RUNS),
        priority: 1
        conda:
            "../envs/lmc.yaml"
        threads: config["threads"]
        resources:
            **GPU_JOB,
            mem_mb=eval_mem_mb,
            runtime=spawned_eval_runtime,
        params:
            setting=setting_of,
            betons=betons_param,
            pairs=PAIRS,
            points=list(SPAWNED),
            alphas=config["alphas"],
            device=config["device"],
            batch_size=config["eval_batch_size"],
            code=code_of("jobs.dynamics"),
        script:
            "../scripts/interpolate_pairs.py"

    rule aggregate_instability:
        input:
            unpack(spawn_point_files),
        output:
            barriers=barriers_file(artefact=lmc_dynamics.SPAWN),
        log:
            log_file("aggregate", lmc_dynamics.SPAWN),
        localrule: True
        conda:
            "../envs/lmc.yaml"
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            artefact=lmc_dynamics.SPAWN,
            cells=dynamics_cells(lmc_dynamics.SPAWN, list(SPAWN_POINTS.values())),
            code=code_of("aggregate.dynamics_barriers"),
        script:
            "../scripts/aggregate_dynamics.py"


if SNAPSHOT_RUNS:

    rule interpolate_snapshots:
        input:
            unpack(betons_of_run),
            **snapshot_outputs(PAIRS),
        output:
            **{f"interpolation{k}": pair_file(pair_files.SNAPSHOT_INTERPOLATION, k=k) for k in PAIRS},
        log:
            run_file("snapshots_interpolate.log"),
        benchmark:
            run_file("snapshots_interpolate.bench.tsv")
        wildcard_constraints:
            run="|".join(SNAPSHOT_RUNS),
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
            pairs=PAIRS,
            epochs=SNAPSHOT_EPOCHS,
            alphas=config["alphas"],
            device=config["device"],
            batch_size=config["eval_batch_size"],
            code=code_of("jobs.dynamics"),
        script:
            "../scripts/interpolate_snapshots.py"

    rule aggregate_barrier_over_time:
        input:
            unpack(snapshot_files),
        output:
            barriers=barriers_file(artefact=lmc_dynamics.SNAPSHOTS),
        log:
            log_file("aggregate", lmc_dynamics.SNAPSHOTS),
        localrule: True
        conda:
            "../envs/lmc.yaml"
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            artefact=lmc_dynamics.SNAPSHOTS,
            cells=dynamics_cells(lmc_dynamics.SNAPSHOTS),
            code=code_of("aggregate.dynamics_barriers"),
        script:
            "../scripts/aggregate_dynamics.py"
