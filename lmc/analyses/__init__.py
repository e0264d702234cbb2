"""The analyses beyond the paper, as computations: permutation alignment (`alignment`,
`activation_matching`), layer-wise barriers (`layerwise`), the plane through Θ₀, A and B
(`plane`), the loss's derivatives along the path (`path_derivatives`), the barrier
predicted from the endpoints (`barrier_prediction`), the path's shape along training
(`geometry_over_training`) and the two-parameter toy (`toy`). Their tables and figures live
in `lmc.report`. May import `util`, `data`, `nn`, `train`, `evaluate`."""
