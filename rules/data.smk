# download -> convert: torchvision layouts under dataset_root, one FFCV .beton per split
# (and the arrays it decodes to).
# Every file is checked against the hashes the step before it recorded (docs/reliability.md).


# A checkpoint: convert's input function lists the raw files download leaves, and may
# only do so once they exist.
checkpoint download:
    output:
        manifest=f"{DATASET_ROOT}/{{dataset}}/manifest.json",
    log:
        log_file("download", "{dataset}"),
    conda:
        "../envs/lmc.yaml"
    resources:
        cpus_per_task=1,
        mem_mb=4000,
        runtime=60,
    params:
        root=dataset_dir,
        source=offline_source,
        code=code_of("data.sources"),
    script:
        "../scripts/download.py"


rule convert:
    input:
        manifest=rules.download.output.manifest,
        raw=raw_files_of_dataset,
    output:
        train=beton_file("train"),
        test=beton_file("test"),
        train_record=beton_record_file("train"),
        test_record=beton_record_file("test"),
        # the arrays each .beton decodes to, memory-mapped by the jobs (lmc.data.arrays)
        train_images=array_file("train", "images"),
        train_labels=array_file("train", "labels"),
        train_arrays_record=array_file("train", "record"),
        test_images=array_file("test", "images"),
        test_labels=array_file("test", "labels"),
        test_arrays_record=array_file("test", "record"),
    log:
        log_file("convert", "{dataset}"),
    benchmark:
        benchmark_file("convert", "{dataset}")
    conda:
        "../envs/lmc.yaml"
    resources:
        cpus_per_task=1,
        mem_mb=8000,
        runtime=60,
    params:
        root=dataset_dir,
        code=code_of("data.sources"),
    script:
        "../scripts/convert.py"
