"""Training: optimisers, warm-up and the paired training loop (`loop`), the members of
one batched training (`members`), seeds derived from a setting (`seeds`), spawn-at-k
(`spawn`), snapshots along training (`snapshots`) and finished pairs kept beside a run
(`kept_pairs`). May import `lmc.util`, `lmc.data`, `lmc.nn`; never the config or report layers:
a training takes settings as plain dicts."""
