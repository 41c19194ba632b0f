"""Compare old vs new replications: mean, 95% CI, inside-CI, Welch p. Writes results.json and RESULTS.md tables."""
import json
import math
import sys
from pathlib import Path

import numpy as np
from scipy import stats

HERE = Path(__file__).parent
SCENARIOS = ["changping-2014", "golden-week-2014", "hot-event-surge", "understaffed-desk", "apec-2014",
             "silent-bureau"]


def ci(values):
    v = np.asarray(values, dtype=float)
    n = len(v)
    m = float(v.mean())
    if n < 2:
        return m, None, None, None
    s = float(v.std(ddof=1))
    h = float(stats.t.ppf(0.975, n - 1) * s / math.sqrt(n))
    return m, m - h, m + h, s


def compare(old_reps, new_reps, metrics):
    rows = []
    for k in metrics:
        o = [r["metrics"][k] for r in old_reps if r["metrics"].get(k) is not None]
        n = [r["metrics"][k] for r in new_reps if r["metrics"].get(k) is not None]
        row = {"metric": k, "n_old": len(o), "n_new": len(n)}
        if not o or not n:
            row["status"] = "missing"
            rows.append(row)
            continue
        om, olo, ohi, osd = ci(o)
        nm, nlo, nhi, nsd = ci(n)
        identical_per_seed = len(o) == len(n) and all(
            a["metrics"].get(k) == b["metrics"].get(k) for a, b in zip(old_reps, new_reps))
        row.update(old_mean=om, old_lo=olo, old_hi=ohi, old_sd=osd, new_mean=nm, new_lo=nlo, new_hi=nhi,
                   new_sd=nsd, identical_per_seed=identical_per_seed)
        if olo is not None:
            # a zero-width CI (constant metric) counts as inside only when the new mean equals it
            inside = olo - 1e-12 <= nm <= ohi + 1e-12
        else:
            inside = None
        row["inside_old_ci"] = inside
        if osd == 0 and nsd == 0:
            p = 1.0 if om == nm else 0.0
        else:
            p = float(stats.ttest_ind(n, o, equal_var=False).pvalue)
        row["welch_p"] = p
        row["rel_diff"] = (nm - om) / abs(om) if om else (0.0 if nm == om else None)
        rows.append(row)
    return rows


def fmt(x, nd=4):
    if x is None:
        return "–"
    if isinstance(x, float) and (abs(x) >= 1000 or x == int(x)) and abs(x) < 1e9:
        return f"{x:.1f}" if x != int(x) else f"{int(x)}"
    return f"{x:.{nd}g}"


def main():
    out = {"old_commit": "14bc1f55376ea2de8798f8cc905781d439ac7046",
           "new_commit": (HERE / "new" / "COMMIT").read_text().strip(), "scenarios": {}}
    md = []
    total = inside = 0
    flagged = []
    for s in SCENARIOS:
        fo, fn, fs = HERE / f"raw/old_{s}.json", HERE / f"raw/new_{s}.json", HERE / f"raw/newstream_{s}.json"
        if not (fo.exists() and fn.exists()):
            continue
        old, new = json.loads(fo.read_text()), json.loads(fn.read_text())
        metrics = old["scalar_metrics"]
        rows = compare(old["reps"], new["reps"], metrics)
        stream_same = None
        if fs.exists():
            st = json.loads(fs.read_text())
            stream_same = [r["metrics"] for r in st["reps"]] == [r["metrics"] for r in new["reps"]]
        out["scenarios"][s] = {"seeds_old": [r["seed"] for r in old["reps"]],
                               "seeds_new": [r["seed"] for r in new["reps"]],
                               "wall_s_old_mean": float(np.mean([r["wall_s"] for r in old["reps"]])),
                               "wall_s_new_mean": float(np.mean([r["wall_s"] for r in new["reps"]])),
                               "new_stream_equals_new_memory": stream_same,
                               "metrics": rows}
        md.append(f"\n### {s}\n")
        md.append(f"{len(old['reps'])} old / {len(new['reps'])} new replications (seeds "
                  f"{old['reps'][0]['seed']}..{old['reps'][-1]['seed']}); mean wall per replication "
                  f"old {out['scenarios'][s]['wall_s_old_mean']:.2f} s, new {out['scenarios'][s]['wall_s_new_mean']:.2f} s; "
                  f"new streamed metrics == new in-memory metrics on every seed: {stream_same}\n")
        md.append("| metric | old mean | old 95% CI | new mean | new 95% CI | in old CI | Welch p | note |")
        md.append("|---|---|---|---|---|---|---|---|")
        for r in rows:
            if r.get("status") == "missing":
                md.append(f"| {r['metric']} | – | – | – | – | n/a | – | missing (None in every run) |")
                continue
            total += 1
            inside += bool(r["inside_old_ci"])
            note = []
            if r["identical_per_seed"]:
                note.append("identical per seed")
            if r["welch_p"] < 0.001:
                note.append("**p < 0.001**")
                flagged.append((s, r["metric"], r["welch_p"]))
            elif r["welch_p"] < 0.05:
                note.append("p < 0.05")
            ins = "yes" if r["inside_old_ci"] else "**no**"
            md.append(f"| {r['metric']} | {fmt(r['old_mean'])} | [{fmt(r['old_lo'])}, {fmt(r['old_hi'])}] | "
                      f"{fmt(r['new_mean'])} | [{fmt(r['new_lo'])}, {fmt(r['new_hi'])}] | {ins} | "
                      f"{r['welch_p']:.3g} | {'; '.join(note)} |")
    out["summary"] = {"comparisons": total, "inside_old_ci": inside,
                      "p_below_0_05": sum(1 for s in out["scenarios"].values() for r in s["metrics"]
                                          if r.get("welch_p") is not None and r["welch_p"] < 0.05),
                      "p_below_0_001": [{"scenario": a, "metric": b, "p": c} for a, b, c in flagged]}
    # more power where the 20-seed tables hint at a direction: changping-2014 seeds 1..220 in each tree
    fo, fn = HERE / "raw/old_changping-2014_extra.json", HERE / "raw/new_changping-2014_extra.json"
    if fo.exists() and fn.exists():
        old = json.loads((HERE / "raw/old_changping-2014.json").read_text())["reps"] + json.loads(fo.read_text())["reps"]
        new = json.loads((HERE / "raw/new_changping-2014.json").read_text())["reps"] + json.loads(fn.read_text())["reps"]
        n_common = min(len(old), len(new))
        old, new = old[:n_common], new[:n_common]
        rows = compare(old, new, json.loads(fo.read_text())["scalar_metrics"])
        for r in rows:
            if r.get("old_sd") and r.get("new_sd"):
                o = [x["metrics"][r["metric"]] for x in old]
                n = [x["metrics"][r["metric"]] for x in new]
                r["levene_p"] = float(stats.levene(o, n).pvalue)
                r["mannwhitney_p"] = float(stats.mannwhitneyu(o, n).pvalue)
        out["changping_extended"] = {"replications_each": n_common, "metrics": rows}
        md.append(f"\n### changping-2014, {n_common} replications each (seeds 1..{n_common}): the follow-up check\n")
        md.append("| metric | old mean | old 95% CI | new mean | new 95% CI | in old CI | Welch p | Mann-Whitney p | Levene p (variance) | old sd | new sd |")
        md.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            if r.get("status") == "missing":
                continue
            ins = "yes" if r["inside_old_ci"] else "**no**"
            wp = f"**{r['welch_p']:.3g}**" if r["welch_p"] < 0.001 else f"{r['welch_p']:.3g}"
            md.append(f"| {r['metric']} | {fmt(r['old_mean'])} | [{fmt(r['old_lo'])}, {fmt(r['old_hi'])}] | "
                      f"{fmt(r['new_mean'])} | [{fmt(r['new_lo'])}, {fmt(r['new_hi'])}] | {ins} | {wp} | "
                      f"{r.get('mannwhitney_p', float('nan')):.3g} | {r.get('levene_p', float('nan')):.3g} | "
                      f"{fmt(r['old_sd'])} | {fmt(r['new_sd'])} |")
    # megacity-day: 1 old replication, 3 new
    fo, fn = HERE / "raw/old_megacity-day.json", HERE / "raw/new_megacity-day.json"
    if fo.exists() and fn.exists():
        o, n = json.loads(fo.read_text())["reps"], json.loads(fn.read_text())["reps"]
        rows = []
        md.append(f"\n### megacity-day (load test): {len(o)} old replication (seed 1), {len(n)} new (seeds 1..{len(n)})\n")
        md.append(f"wall per replication (nice 10, cores shared): old {np.mean([r['wall_s'] for r in o]):.1f} s, "
                  f"new {np.mean([r['wall_s'] for r in n]):.1f} s (new streamed, metrics only)\n")
        md.append("| metric | old seed 1 | new seed 1 | new mean (seeds 1-3) | new 95% CI (n=3) | new min..max | old inside new CI | note |")
        md.append("|---|---|---|---|---|---|---|---|")
        for k in json.loads(fo.read_text())["scalar_metrics"]:
            ov = o[0]["metrics"][k]
            nv = [r["metrics"][k] for r in n]
            if ov is None or None in nv:
                continue
            m, lo, hi, sd = ci(nv)
            inside = lo is not None and lo - 1e-12 <= ov <= hi + 1e-12
            same1 = nv[0] == ov
            rows.append({"metric": k, "old_seed1": ov, "new": nv, "new_mean": m, "new_lo": lo, "new_hi": hi,
                         "old_inside_new_ci": inside, "identical_seed1": same1})
            md.append(f"| {k} | {fmt(float(ov))} | {fmt(float(nv[0]))} | {fmt(m)} | [{fmt(lo)}, {fmt(hi)}] | "
                      f"{fmt(float(min(nv)))}..{fmt(float(max(nv)))} | {'yes' if inside else 'no'} | "
                      f"{'identical on seed 1' if same1 else ''} |")
        out["megacity_day"] = {"old_reps": len(o), "new_reps": len(n),
                               "wall_s_old": [r["wall_s"] for r in o], "wall_s_new": [r["wall_s"] for r in n],
                               "metrics": rows}
    (HERE / "results.json").write_text(json.dumps(out, indent=1))
    (HERE / "tables.md").write_text("\n".join(md) + "\n")
    print(json.dumps(out["summary"], indent=1))


if __name__ == "__main__":
    sys.exit(main())
