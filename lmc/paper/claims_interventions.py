"""§4 "Interventions to minimal model" and the appendices: the claims of Table 2
(optimiser, rate, warm-up), Figure 2 (the hidden layer's type), Figure 3 (dataset
complexity) and Figure 5 against Figure 3 (ADAM against SGD in MLPs)."""
from __future__ import annotations

import pandas as pd

from lmc.paper.claim_cells import frames, make_cell, matches
from lmc.paper.claim_checks import TEST, Claim, level, one, per_group, unfound, warm
from lmc.paper.verdicts import Verdict, combine, connected, greater, not_testable
from lmc.report.names import MODEL_TITLES, as_int, model_title, opt_lr

# The paper's datasets in its order of complexity (§4 "Role of dataset", App. E). Others
# (Fashion-MNIST) are not the paper's: never ranked among them.
COMPLEXITY = ("mnist", "cifar10", "cifar100", "tiny_imagenet")
T2_OWN = {"optimizer", "lr", "warmup_fraction"}      # what Table 2's setups vary
MINIMAL = Claim(
    "The minimal model (1-hidden-layer ReLU MLP) trained with SGD at its highest rate is linearly connected",
    "§3 Minimal model, Table 2",
    "we will adopt the 1 hidden-layer ReLU MLP trained with SGD as our minimal model which still "
    "exhibits LMC.", "Table 2")
ADAM_SGD = Claim(
    "ADAM at its highest rate gives a larger barrier than SGD at its highest rate",
    "§4 Training strategy, Table 2",
    "Switching to the ADAM optimizer results in a significantly less connected model.", "Table 2")
ADAM_LR = Claim(
    "Lowering ADAM's learning rate lowers its barrier",
    "§1 Introduction, Table 2",
    "We show that ADAM breaks connectivity more than SGD, while it can be recovered by modifying learning "
    "rate and adding warm-up.", "Table 2")
WARMUP = Claim(
    "Warm-up lowers the barrier (same optimiser, rate and every other key)",
    "§4 Training strategy, Table 2",
    "Using warm-up on the other hand leads to a significant reduction in barrier, suggesting that LMC is "
    "determined early in the training.", "Table 2")
_ARCH = ("We observe that the LC-CNN remains very connected but both the CNN and attention-based model "
         "experience a decay in connectivity.")
LCN = Claim("The LC-CNN is linearly connected (SGD High and Med Lr)", "§4 Architecture, Figure 2", _ARCH,
            "Figure 2")
CNN = Claim("Weight sharing: the CNN's barrier exceeds the LC-CNN's (SGD High and Med Lr)",
            "§4 Architecture, Figure 2", _ARCH, "Figure 2")
ATTENTION = Claim("The single attention layer's barrier exceeds the LC-CNN's (SGD High and Med Lr)",
                  "§4 Architecture, Figure 2", _ARCH, "Figure 2")
VIT_LOW = Claim(
    "The ViT-like model is linearly connected at Low Lr (0.001)", "Figure 2 caption",
    "Note that previous SGD learning rates were too high for the ViT, hence we introduce the Low-Lr of "
    "0.001 where ViTs are also connected", "Figure 2")
_DATA = "The more complex the dataset, the larger the barrier and the difference between the training and " \
        "test barriers."
COMPLEX = Claim("Normalised test barriers (Eq. 2) grow with dataset complexity, MNIST < CIFAR-10 < "
                "CIFAR-100 < Tiny-ImageNet", "§4 Role of dataset, Figure 3", _DATA, "Figure 3")
GAP = Claim("The gap between train and test normalised barriers (Eq. 2, absolute difference) grows with "
            "dataset complexity",
            "§4 Role of dataset, Figure 3", _DATA, "Figure 3")
ADAM_MLP = Claim(
    "ADAM gives MLPs larger barriers than SGD at the same dataset, depth and rate level (High, Med)",
    "§3 Linear networks; App. C.1, Figures 5 and 3",
    "for all the considered settings, ADAM tends to amplify the resulting barriers.", "Figures 5 and 3")


HIGH_MED = ("High", "Med")     # the rates Figure 2's claim is made at (Low is the ViT's rescue)


# --- Table 2 ------------------------------------------------------------------------------------

def _t2_name(f: pd.Series) -> str:
    return opt_lr(f) + (" + W-up" if warm(f) else "")


def _extreme(rows: pd.DataFrame, optimizer: str, highest: bool = True) -> list:
    """The settings of `optimizer` without warm-up at its highest (lowest) rate: one, or
    several that one() refuses to choose among."""
    found = frames(rows, lambda f: f["optimizer"] == optimizer and not warm(f))
    if not found:
        return []
    lr = (max if highest else min)(float(f["lr"]) for f, _ in found)
    return [(f, g) for f, g in found if float(f["lr"]) == lr]


def _minimal(text: str, rows: pd.DataFrame) -> Verdict | None:
    found = _extreme(rows, "sgd")
    if not found:
        return None
    c = one(text, "Table 2", found, "the SGD setting at the highest rate without warm-up", _t2_name)
    return c if isinstance(c, Verdict) else connected(text, "Table 2", [c])


def _adam_sgd(text: str, rows: pd.DataFrame) -> Verdict | None:
    adam, sgd = _extreme(rows, "adam"), _extreme(rows, "sgd")
    if not adam or not sgd:
        return None
    a = one(text, "Table 2", adam, "the ADAM setting at the highest rate without warm-up", _t2_name)
    s = one(text, "Table 2", sgd, "the SGD setting at the highest rate without warm-up", _t2_name)
    if (verdict := unfound(a, s)) is not None:
        return verdict
    return greater(text, "Table 2", a, s)


def _adam_lr(text: str, rows: pd.DataFrame) -> Verdict | None:
    hi, lo = _extreme(rows, "adam"), _extreme(rows, "adam", highest=False)
    if not hi or float(hi[0][0]["lr"]) == float(lo[0][0]["lr"]):
        return None
    a = one(text, "Table 2", hi, "the ADAM setting at the highest rate without warm-up", _t2_name)
    b = one(text, "Table 2", lo, "the ADAM setting at the lowest rate without warm-up", _t2_name)
    if (verdict := unfound(a, b)) is not None:
        return verdict
    if not matches(hi[0][0], lo[0][0], {"lr"}):
        return not_testable(text, "Table 2", f"{a.name} and {b.name} differ in more than the rate", (a, b))
    return greater(text, "Table 2", a, b)


def _warmup(text: str, rows: pd.DataFrame) -> list[Verdict]:
    out = []
    for fw, gw in frames(rows, warm):
        # the same setting in every key but the warm-up (optimiser, rate, momentum, betas, schedule, ...)
        cold = frames(rows, lambda f: not warm(f) and matches(f, fw, {"warmup_fraction"}))
        name = f"{text}: {opt_lr(fw)}"
        c = one(name, "Table 2", cold, f"setting like {_t2_name(fw)} without warm-up", _t2_name)
        hot = make_cell(_t2_name(fw), gw, TEST)
        out.append(c if isinstance(c, Verdict) else greater(name, "Table 2", c, hot))
    return out


def table2_claims(t2: pd.DataFrame | None) -> list[Verdict]:
    return (per_group(MINIMAL, t2, T2_OWN, _minimal, "SGD setting without warm-up in Table 2")
            + per_group(ADAM_SGD, t2, T2_OWN, _adam_sgd, "ADAM and SGD settings without warm-up in Table 2")
            + per_group(ADAM_LR, t2, T2_OWN, _adam_lr, "two ADAM rates without warm-up in Table 2")
            + per_group(WARMUP, t2, T2_OWN, _warmup, "setting with warm-up and its twin without in Table 2"))


# --- Figure 2 -----------------------------------------------------------------------------------

def _f2_name(f: pd.Series) -> str:
    return f"{model_title(f)} {opt_lr(f)}"


def _is(model: str, levels: tuple[str, ...]):
    return lambda f: f["model"] == model and level(f) in levels


def _lcn(text: str, rows: pd.DataFrame) -> Verdict | None:
    found = frames(rows, _is("lcn", HIGH_MED))
    if not found:
        return None
    c = one(text, "Figure 2", found, "the LC-CNN setting", _f2_name)
    return c if isinstance(c, Verdict) else connected(text, "Figure 2", [c])


def _vit_low(text: str, rows: pd.DataFrame) -> Verdict | None:
    found = frames(rows, _is("vit", ("Low",)))
    if not found:
        return None
    c = one(text, "Figure 2", found, "the ViT-like setting", _f2_name)
    return c if isinstance(c, Verdict) else connected(text, "Figure 2", [c])


def _versus_lcn(model: str):
    def check(text: str, rows: pd.DataFrame) -> Verdict | None:
        big, small = frames(rows, _is(model, HIGH_MED)), frames(rows, _is("lcn", HIGH_MED))
        if not big or not small:
            return None
        a = one(text, "Figure 2", big, f"the {MODEL_TITLES[model]} setting", _f2_name)
        b = one(text, "Figure 2", small, "the LC-CNN setting", _f2_name)
        if (verdict := unfound(a, b)) is not None:
            return verdict
        return greater(text, "Figure 2", a, b)
    return check


def figure2_claims(f2: pd.DataFrame | None) -> list[Verdict]:
    at = "at SGD High (0.1) or Med (0.01) Lr in Figure 2 (where the paper makes the claim)"
    return (per_group(LCN, f2, {"model"}, _lcn, f"LC-CNN {at}")
            + per_group(CNN, f2, {"model"}, _versus_lcn("cnn"), f"CNN and LC-CNN {at}")
            + per_group(ATTENTION, f2, {"model"}, _versus_lcn("vit"), f"ViT-like and LC-CNN {at}")
            + per_group(VIT_LOW, f2, {"model"}, _vit_low, "ViT-like at SGD Low Lr (0.001) in Figure 2"))


# --- Figure 3 (and Table 4, its runs) -----------------------------------------------------------

def _gap(g: pd.DataFrame) -> pd.Series:
    return (g["train_normalised_barrier"] - g["test_normalised_barrier"]).abs()


def _by_complexity(metric):
    def check(text: str, rows: pd.DataFrame) -> Verdict | None:
        fs = frames(rows)
        ranked = sorted((fg for fg in fs if fg[0]["dataset"] in COMPLEXITY),
                        key=lambda fg: COMPLEXITY.index(fg[0]["dataset"]))
        others = [str(f["dataset_title"]) for f, _ in fs if f["dataset"] not in COMPLEXITY]
        note = f"; {', '.join(others)}: not one of the paper's datasets, not ranked" if others else ""
        cs = [make_cell(f"{f['dataset_title']} {as_int(f['depth'])}-layer {opt_lr(f)}", g, metric,
                        normalised=True) for f, g in ranked]
        if len(ranked) < 2:
            return None
        steps = [greater(text, "Figure 3", hard, easy) for easy, hard in zip(cs, cs[1:])]
        v = combine(text, "Figure 3", steps)
        return Verdict(v.claim, v.source, tuple(cs), v.verdict, v.reason + note)
    return check


def figure3_claims(f3: pd.DataFrame | None) -> list[Verdict]:
    others = [] if f3 is None else sorted(set(f3.loc[~f3["dataset"].isin(COMPLEXITY), "dataset_title"]))
    what = ("two of the paper's datasets (MNIST, CIFAR-10, CIFAR-100, Tiny-ImageNet) at one depth and rate "
            "in Figure 3: nothing to rank" + "".join(f"; {o}: not one of the paper's datasets, not ranked"
                                                     for o in others))
    return (per_group(COMPLEX, f3, {"dataset"}, _by_complexity("test_normalised_barrier"), what)
            + per_group(GAP, f3, {"dataset"}, _by_complexity(_gap), what))


# --- Figure 5 against Figure 3 ------------------------------------------------------------------

def _adam_vs_sgd(text: str, rows: pd.DataFrame) -> list[Verdict]:
    out = []
    for lv in HIGH_MED:
        adam = frames(rows, lambda f: f["optimizer"] == "adam" and level(f) == lv)
        sgd = frames(rows, lambda f: f["optimizer"] == "sgd" and level(f) == lv)
        if not adam or not sgd:
            continue
        name = f"{text}, {lv} Lr"
        cs = [one(name, "Figures 5 and 3", x, f"the {o} MLP at {lv} Lr",
                  lambda f: f"{f['dataset_title']} {as_int(f['depth'])}-layer {opt_lr(f)}")
              for x, o in ((adam, "ADAM"), (sgd, "SGD"))]
        stop = next((c for c in cs if isinstance(c, Verdict)), None)
        out.append(stop or greater(name, "Figures 5 and 3", cs[0], cs[1]))
    return out


def adam_mlp_claims(f5: pd.DataFrame | None, f3: pd.DataFrame | None) -> list[Verdict]:
    both = None
    if f5 is not None and f3 is not None:    # one table: Figure 5's cells numbered after Figure 3's
        both = pd.concat([f3, f5.assign(cell=f5["cell"] + int(f3["cell"].max()) + 1)], ignore_index=True)
    return per_group(ADAM_MLP, both, {"optimizer", "lr"}, _adam_vs_sgd,
                     "ADAM (Figure 5) and SGD (Figure 3) MLPs at one dataset, depth and rate level")
