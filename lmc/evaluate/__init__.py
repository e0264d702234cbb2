"""Evaluating trained networks: the linear path Θ(α) in batched passes
(`interpolate`), many points of one architecture's parameter space (`points`), and the
barriers of a path (`barrier`, the paper's Eq. 1 and 2). May import the layers below it
(`util`, `data`, `nn`, `train`)."""
