"""Tables and figures: the statistics of a cell (`summary`), display names (`names`), a
table before formatting (`layout`) and its formats (`formats`), the paper's tables
(`paper_tables`, `aligned_rows`, `dynamics_tables`, `parameter_counts`), figures (`plots`,
`dynamics_plots`), one artefact's rendering (`render`), and the renderings of the analyses
beyond the paper (`analyses`, `analyses_plots`, `barrier_prediction`,
`geometry_over_training`, `toy`). May import every layer up to `aggregate`."""
