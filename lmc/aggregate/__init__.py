"""From per-pair results to one table of barriers per artefact: the paper's artefacts
(`barriers`), the training-dynamics artefacts (`dynamics_barriers`), and strict reads of
the result files (`result_files`). May import every layer up to `config`."""
