"""This project against the paper: the numbers it prints (`printed_values`), the
comparison of every cell (`comparison`, `comparison_plot`), which pairs trained
(`trained`), and its qualitative claims with their verdicts (`claims`, `claims_linear`,
`claims_interventions`, `claim_cells`, `claim_checks`, `verdicts`). May import every layer
up to `report`."""
