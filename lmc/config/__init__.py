"""From a config file to what runs, at Snakemake's parse time: the paper's artefacts
(`artefacts`), the experiment grid and run ids (`grid`), checks beyond the schema
(`checks`), the training-dynamics keys (`dynamics`), what a config costs (`cost`), a
job's cluster resources (`resources`), and what a Snakemake run is about to do and how long
it takes (`plan`). May import the layers below it; nothing under
`nn`, `train` or `evaluate` imports it."""
