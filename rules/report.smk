# render: the paper's tables (md, tex, csv) and figures (png, pdf); named targets.


rule render:
    input:
        barriers="results/barriers/{artefact}.csv",
        paths="results/barriers/{artefact}_paths.csv",
    output:
        md="results/tables/{artefact}.md",
        tex="results/tables/{artefact}.tex",
        csv="results/tables/{artefact}.csv",
        png=report(
            "results/figures/{artefact}_paths.png",
            category="{artefact}",
            caption="../docs/report/paths.rst",
        ),
        pdf="results/figures/{artefact}_paths.pdf",
    log:
        "results/logs/render/{artefact}.log",
    localrule: True
    conda:
        "../envs/lmc.yaml"
    script:
        "../scripts/render.py"


# One named target per artefact in the config: `snakemake table2`, `snakemake figure1`, ...
for _artefact in ARTEFACTS:

    rule:
        name:
            _artefact
        input:
            artefact_outputs([_artefact]),
        localrule: True
