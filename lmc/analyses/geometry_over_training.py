"""Geometry along training (beyond the paper; issue 22, item 3): the shape of the path
between A and B while the barrier appears.

Where `barrier_over_time` or `instability` lists `derivatives` in its `analyses`, one job
per dataset (rules/analyses.smk: path_derivatives_over_training_<dataset>) writes the
derivatives record of `lmc.analyses.barrier_prediction` (ℓ, ℓ′, ℓ″ at α = 0, ½, 1, the norms, the
distances and angle about the point the pair left) for

- every snapshot epoch t: A_t and B_t, both trained from Θ₀
  (`pair{k}/snapshots/derivatives_e{t}.json`);
- every spawn point k: A and B spawned from the trunk's Θ_k and trained to the end, the
  distances and angle taken about Θ_k (`spawn/{point}/pair{k}/derivatives.json`; k = 0 is
  the pair itself, about Θ₀: its own `pair{k}/derivatives.json`, which the artefact's
  `analyses: [derivatives]` has the packed path_derivatives_<artefact>_<dataset> job write).

The `geometry_over_training` target reads them all and shows, against t and k, the
measured midpoint loss barrier ℓ(½) − ½(ℓ(0) + ℓ(1)) beside its endpoint prediction
(`quintic`), the curvature along Δ half-way and at the ends, and the angle between the two
runs about their common start. Each pair at each point gets a shape:

- `none`: no loss barrier (ℓ(½) at or below the endpoints' mean);
- `ridge`: the midpoint's own curvature explains at least half of the barrier
  (−ℓ″(½)/8 ≥ ½ · barrier): the path crosses a crest between the endpoints;
- `mountainside`: a barrier that the midpoint's curvature does not explain, so it is made
  by the slopes and walls at the ends (ℓ′ and ℓ″ at A and B): the endpoints sit on the
  sides of one valley-less slope rather than on two sides of a ridge.

−ℓ″(½)/8 is the barrier of a parabola with the midpoint's curvature, so "at least half" is
the smallest share at which the crest is the larger part of the barrier."""
from __future__ import annotations

KINDS = {"snapshots": "barrier_over_time", "spawn": "instability"}
SHAPES = ("none", "mountainside", "ridge")


def shape(loss_barrier_mid: float, curvature_mid: float) -> str:
    """`none`, `ridge` or `mountainside` (module docstring)."""
    if not loss_barrier_mid > 0:
        return "none"
    return "ridge" if -curvature_mid / 8 >= loss_barrier_mid / 2 else "mountainside"
