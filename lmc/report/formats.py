"""Output formats of a rendered table: Markdown (README, GitHub), LaTeX (papers:
booktabs, a \\multicolumn header row where the table groups its columns) and a
standalone HTML page (what the Snakemake report shows inline)."""
from __future__ import annotations

import html

from lmc.report.layout import Table


def to_markdown(t: Table) -> str:
    lines = [f"**{t.title}.** {t.caption}", "", "| " + " | ".join(t.header) + " |",
             "|" + "|".join(["---"] + [":---:"] * (len(t.header) - 1)) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in t.rows]
    lines += [""] + [f"- {n}" for n in t.notes]
    return "\n".join(lines) + "\n"


def _tex_escape(s: str) -> str:
    s = s.replace("\\", r"\textbackslash{}")
    for a, b in (("%", r"\%"), ("&", r"\&"), ("_", r"\_"), ("#", r"\#"), ("±", r"$\pm$"),
                 ("↑", r"$\uparrow$"), ("↓", r"$\downarrow$"), ("α", r"$\alpha$"), ("Θ", r"$\Theta$"),
                 ("½", r"$\frac{1}{2}$"), ("−", "-"), ("…", r"\dots{}"), ("∈", r"$\in$"), ("*", r"$\ast$"),
                 ("→", r"$\to$"), ("≈", r"$\approx$"), ("·", r"$\cdot$"), ("B̄", r"$\bar{B}$"), ("–", "--"),
                 ("`", ""), ("×", r"$\times$")):
        s = s.replace(a, b)
    return s


def to_latex(t: Table) -> str:
    cols = "l" + "c" * (len(t.header) - 1)
    lines = [r"\begin{table}[t]", r"\centering", f"\\caption{{{_tex_escape(t.caption)}}}",
             f"\\begin{{tabular}}{{{cols}}}", r"\toprule"]
    if t.groups:
        lines.append(" & ".join(f"\\multicolumn{{{n}}}{{c}}{{{_tex_escape(g)}}}" if n > 1 else _tex_escape(g)
                                for g, n in t.groups) + r" \\")
        start = 2
        for g, n in t.groups[1:]:
            lines.append(f"\\cmidrule(lr){{{start}-{start + n - 1}}}")
            start += n
        lines.append(" & ".join(_tex_escape(h) for h in (t.subheader or t.header)) + r" \\")
    else:
        lines.append(" & ".join(_tex_escape(h) for h in t.header) + r" \\")
    lines.append(r"\midrule")
    lines += [" & ".join(_tex_escape(c) for c in r) + r" \\" for r in t.rows]
    lines += [r"\bottomrule", r"\end{tabular}"]
    if t.notes:
        lines.append(r"\par\smallskip{\footnotesize " + " ".join(_tex_escape(n) for n in t.notes) + "}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def to_html(t: Table) -> str:
    """A standalone HTML page of the table (what the Snakemake report shows inline)."""
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in t.header)
    body = "".join("<tr>" + f"<th>{e(r[0])}</th>" + "".join(f"<td>{e(c)}</td>" for c in r[1:]) + "</tr>"
                   for r in t.rows)
    notes = "".join(f"<li>{e(n)}</li>" for n in t.notes)
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" + e(t.title) + "</title><style>"
            "body{font-family:sans-serif;font-size:14px}table{border-collapse:collapse}"
            "th,td{border:1px solid #bbb;padding:3px 8px;text-align:center}th:first-child{text-align:left}"
            "</style></head><body>"
            f"<p><b>{e(t.title)}.</b> {e(t.caption)}</p><table><thead><tr>{head}</tr></thead><tbody>{body}"
            f"</tbody></table><ul>{notes}</ul></body></html>\n")
