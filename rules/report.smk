# render: the paper's tables (md, tex, csv, html) and figures (png, pdf); named targets.
#
# One render rule per artefact (render_table1, render_figure1, ...), generated from the
# config, because each carries its own report caption (docs/report/<artefact>.rst).
# Figure artefacts also write the table of their numbers. Table 3 needs no training:
# `parameter_counts` computes it from the model classes.


for _artefact in TRAINED:
    _tables = table_outputs(_artefact)
    _figures = figure_outputs(_artefact)
    _labels = {"artefact": _artefact}
    _caption = f"../docs/report/{_artefact}.rst"
    _title = artefact_title(_artefact)
    _outputs = {
        "md": _tables["md"],
        "tex": _tables["tex"],
        "csv": _tables["csv"],
        "html": report(
            _tables["html"], caption=_caption, category=_title, labels={**_labels, "file": "table"}
        ),
    }
    _inputs = {"barriers": barriers_file(artefact=_artefact)}
    if _artefact in FINAL_PAIRS:
        _outputs["paths_png"] = report(
            _figures["paths_png"],
            caption="../docs/report/paths.rst",
            category=_title,
            labels={**_labels, "file": "error along the path"},
        )
        _outputs["paths_pdf"] = _figures["paths_pdf"]
        _inputs["paths"] = barriers_file("_paths", _artefact)
    if _artefact in FIGURES:
        _outputs["png"] = report(
            _figures["png"], caption=_caption, category=_title, labels={**_labels, "file": "figure"}
        )
        _outputs["pdf"] = _figures["pdf"]

    rule:
        name:
            f"render_{_artefact}"
        input:
            **_inputs,
        output:
            **_outputs,
        log:
            log_file("render", _artefact),
        localrule: True
        conda:
            "../envs/lmc.yaml"
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            artefact=_artefact,
            provenance=artefact_provenance(_artefact),
            code=code_of("report.render"),
        script:
            "../scripts/render.py"


if "table3" in ARTEFACTS:

    rule parameter_counts:
        output:
            md=table_file("table3", "md"),
            tex=table_file("table3", "tex"),
            csv=table_file("table3", "csv"),
            html=report(
                table_file("table3", "html"),
                caption="../docs/report/table3.rst",
                category=artefact_title("table3"),
                labels={"artefact": "table3", "file": "table"},
            ),
        log:
            log_file("render", "table3"),
        localrule: True
        conda:
            "../envs/lmc.yaml"
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            points=table3_points(),
            code=code_of("report.render"),
        script:
            "../scripts/table3.py"


if "claims" in ARTEFACTS:

    rule render_claims:
        input:
            [barriers_file(artefact=a) for a in claims_sources()],
        output:
            md=table_file("claims", "md"),
            tex=table_file("claims", "tex"),
            csv=table_file("claims", "csv"),
            html=report(
                table_file("claims", "html"),
                caption="../docs/report/claims.rst",
                category=artefact_title("claims"),
                labels={"artefact": "claims", "file": "table"},
            ),
        log:
            log_file("render", "claims"),
        localrule: True
        conda:
            "../envs/lmc.yaml"
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            sources=claims_sources(),
            code=code_of("paper.render"),
        script:
            "../scripts/claims.py"


if "paper_comparison" in ARTEFACTS:

    rule render_paper_comparison:
        input:
            **comparison_inputs(),
            values=paper_values_file(),
        output:
            md=table_file("paper_comparison", "md"),
            tex=table_file("paper_comparison", "tex"),
            csv=table_file("paper_comparison", "csv"),
            html=report(
                table_file("paper_comparison", "html"),
                caption="../docs/report/paper_comparison.rst",
                category=artefact_title("paper_comparison"),
                labels={"artefact": "paper_comparison", "file": "table"},
            ),
            png=report(
                figure_file("paper_comparison", "png"),
                caption="../docs/report/paper_comparison.rst",
                category=artefact_title("paper_comparison"),
                labels={"artefact": "paper_comparison", "file": "figure"},
            ),
            pdf=figure_file("paper_comparison", "pdf"),
        log:
            log_file("render", "paper_comparison"),
        localrule: True
        conda:
            "../envs/lmc.yaml"
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            sources=list(comparison_inputs()),
            code=code_of("paper.render"),
        script:
            "../scripts/paper_comparison.py"


# One named target per artefact in the config: `snakemake table2`, `snakemake figure1`, ...
for _artefact in ARTEFACTS:

    rule:
        name:
            _artefact
        input:
            artefact_outputs([_artefact]),
        localrule: True
