# download -> convert: torchvision layouts under dataset_root, one FFCV .beton per split.


rule download:
    output:
        manifest=f"{DATASET_ROOT}/{{dataset}}/manifest.json",
    log:
        "results/logs/download/{dataset}.log",
    params:
        root=dataset_dir,
        source=offline_source,
    resources:
        cpus_per_task=1,
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/lmc.yaml"
    script:
        "../scripts/download.py"


rule convert:
    input:
        manifest=f"{DATASET_ROOT}/{{dataset}}/manifest.json",
    output:
        train="results/datasets/{dataset}/train.beton",
        test="results/datasets/{dataset}/test.beton",
    log:
        "results/logs/convert/{dataset}.log",
    benchmark:
        "results/benchmarks/convert/{dataset}.tsv"
    params:
        root=dataset_dir,
    resources:
        cpus_per_task=1,
        mem_mb=8000,
        runtime=60,
    conda:
        "../envs/lmc.yaml"
    script:
        "../scripts/convert.py"
