"""The ``wenzheng`` command: thin commands over the engine and the simulator.

Each command parses its arguments, calls the library and maps expected
errors to exit codes: 0 success, 1 a check found problems, 2 unusable input
(bad rule file, scenario, post or argument; message names file, line and
key, no traceback), 3 an internal error (a bug: traceback shown), 130 Ctrl-C.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

# only the light error classes at import time: the engine, simulator, pydantic, durable_rules, SimPy, scipy and
# matplotlib are imported inside the commands that use them, so that `wenzheng --help` starts fast (docs/benchmarks.md)
from engine.errors import CalendarError, DurationError, WenzhengError

from .helpformat import HelpContext
from .messages import t
from .outputs import (
    MANIFEST,
    OutPath,
    atomic_file,
    atomic_write_text,
    check_output_dir,
    check_output_file,
    head_contains,
    json_title_startswith,
    staged_dir,
)


def _lang_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--lang``: the language of everything the command prints, for this invocation only."""
    from engine.i18n import ENV_VAR, normalise_lang, reset_lang, set_lang

    if value is None:
        env = os.environ.get(ENV_VAR)
        if env and normalise_lang(env) is None:
            raise click.BadParameter(f"{ENV_VAR}={env!r}：应为 zh 或 en / must be zh or en", param_hint=ENV_VAR)
        return None
    token = set_lang(value)
    ctx.call_on_close(lambda: reset_lang(token))
    return value


def _lang_option(expose: bool = False) -> click.Option:
    return click.Option(["--lang"], type=click.Choice(["zh", "en"]), default=None, is_eager=True,
                        expose_value=expose, callback=_lang_callback,
                        help="输出语言 / output language: zh (default) or en; also WENZHENG_LANG.")


class _LocalHelp(click.Command):
    """Help in the language of ``--lang`` (written before or after ``--help``), else WENZHENG_LANG, else Chinese:
    the texts are those of wenzheng/helptext.py, picked when the help is rendered, wrapped by terminal columns
    with Chinese line breaks (``helptext.HelpFormatter``)."""

    context_class = HelpContext

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        from engine.i18n import reset_lang, set_lang

        from .helptext import requested_lang

        lang = requested_lang(self, ctx, args)
        if lang is not None:  # before click runs the eager --help
            token = set_lang(lang)
            ctx.call_on_close(lambda: reset_lang(token))
        return super().parse_args(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from .helptext import format_usage

        format_usage(self, ctx, formatter)

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from .helptext import format_help_text

        format_help_text(self, ctx, formatter)

    def format_arguments(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from .helptext import format_arguments

        format_arguments(self, ctx, formatter)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from .helptext import format_options

        format_options(self, ctx, formatter)
        if isinstance(self, click.Group):
            self.format_commands(ctx, formatter)


class _Command(_LocalHelp):
    """A command whose help follows the language (see ``_LocalHelp``)."""


class _Group(_LocalHelp, click.Group):
    """Every command (and sub-group) accepts ``--lang`` wherever it is written: ``wenzheng --lang en lint`` and
    ``wenzheng lint --lang en`` both work; its commands' and its own help follow the language."""

    group_class = type  # sub-groups are _Group too
    command_class = _Command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from .helptext import format_commands

        format_commands(self, ctx, formatter)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if not any(p.name == "lang" for p in cmd.params):
            cmd.params.append(_lang_option())
        super().add_command(cmd, name)


@click.group(name="wenzheng", cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="wenzheng")
def app() -> None:
    """问政 wenzheng: policy engine and simulator for handling citizens' online complaints."""


app.params.append(_lang_option())

class _LazyConsole:
    """A rich Console made on first use: importing rich costs a third of the CLI's start-up (docs/benchmarks.md)."""

    def __init__(self, stderr: bool = False) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True) if self._stderr else \
                Console(width=None if sys.stdout.isatty() else 120)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console, name)


out = _LazyConsole()
err = _LazyConsole(stderr=True)


def RichTable(*args: Any, **kwargs: Any) -> Any:  # noqa: N802 (stands for the class it makes)
    """``rich.table.Table``, imported when a command prints a table."""
    from rich.table import Table

    return Table(*args, **kwargs)

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_BUG, EXIT_INTERRUPT = 0, 1, 2, 3, 130


class UserError(WenzhengError):
    """A bad command-line argument discovered after parsing."""


def _pct(v: Any) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


def print_summary(m: dict[str, Any], title: str) -> None:
    """The run's summary tables in the current language (the metric keys stay those of metrics.json)."""
    # one list of rows for the CLI summary and the report page, same formats
    from reporting.page import summary_rows

    table = RichTable(title=title, show_header=True, header_style="bold")
    table.add_column(t("sum.metric"))
    table.add_column(t("sum.value"), justify="right")
    reps = m.get("replications")
    if reps:
        table.add_column(t("sum.ci95"), justify="right")
    for label, value, interval in summary_rows(m):
        table.add_row(*([label, value, interval] if reps else [label, value]))
    out.print(table)
    ded = m.get("deductions_by_unit") or {}
    rates = m.get("reply_rate_by_unit") or {}
    if ded or rates:
        u = RichTable(title=t("sum.units_title") + (t("sum.units_per_replication") if reps else ""))
        u.add_column(t("sum.unit"))
        u.add_column(t("sum.reply_rate"), justify="right")
        u.add_column(t("sum.deductions"), justify="right")
        for unit in sorted(set(ded) | set(rates), key=lambda x: (-ded.get(x, 0.0), x)):
            u.add_row(unit, _pct(rates.get(unit)), f"{ded.get(unit, 0.0):g}")
        out.print(u)


_PATH = click.Path(path_type=Path)
_OUT = OutPath()  # output paths: "" is an error, not the current folder
_FORCE = click.option("--force", is_flag=True,
                      help="Replace an existing file even if wenzheng did not write it (never a folder).")
# how wenzheng recognises its own single files, which it replaces without --force
_JUNIT_OWNED = head_contains(b'<testsuite name="wenzheng-')
_MARKDOWN_OWNED = head_contains(b"### wenzheng gate", size=64)
_SCHEMA_OWNED = json_title_startswith("wenzheng ")
_SENSITIVITY_OWNED_BY_KIND = (head_contains(b"One-at-a-time sensitivity:", size=64),
                              head_contains("逐一敏感性分析：".encode(), size=64),
                              head_contains(b"parameter,value,scenario_value,metric", size=64))
_SENSITIVITY_JSON_TAIL = head_contains(b'"swing"', tail=True)


def _sensitivity_owned(path: Path) -> bool:
    """A sensitivity result wenzheng wrote: its text or CSV header, or JSON that opens with the scenario."""
    return any(owned(path) for owned in _SENSITIVITY_OWNED_BY_KIND) or (
        head_contains(b'{\n  "scenario"', size=16)(path) and _SENSITIVITY_JSON_TAIL(path))


_SET = click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
                    help="Set a scenario input by dotted path, e.g. desk.staff=3 or units.default.no_reply=0.1 "
                         "(repeatable; checked against the scenario schema; docs/sweeps.md).")


def _apply_sets(sc: Any, policy: Any, sets: tuple[str, ...]) -> tuple[Any, list[tuple[str, Any]]]:
    """The scenario with every ``--set`` applied and checked (schema, policy's names, calendar), and the
    normalised ``(path, value)`` pairs for the workers and the results; unchanged without ``--set``."""
    if not sets:
        return sc, []
    from engine.errors import ScenarioError
    from engine.lint import calendar_window_problems
    from simulator.params import format_path, parse_assignment, parse_path, with_overrides
    from simulator.scenario import check_against_policy

    pairs: list[tuple[str, Any]] = []
    for text in sets:
        path, value = parse_assignment(text, f"--set {text}")
        norm = format_path(parse_path(path, f"--set {text}"))
        if any(p == norm for p, _ in pairs):
            raise UserError(t("set.twice", path=norm))
        pairs.append((norm, value))
    varied = with_overrides(sc, pairs, "--set " + " ".join(sets))
    check_against_policy(varied, set(policy.places), set(policy.categories),
                         {u: s.type for u, s in policy.units.items()})
    problems = calendar_window_problems(policy, varied.start, varied.end, ("--set", None, None),
                                        ("--set", None, None))
    if problems:
        raise ScenarioError(problems)
    return varied, pairs


@app.command()
@click.argument("scenario", type=_PATH)
@click.option("--rules", type=_PATH, default=None, help="Rules directory (overrides the scenario's).")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Seed (default: the scenario's).")
@click.option("--out", "out_dir", type=_OUT, default=None,
              help="Results folder (default runs/<scenario name>): new, empty, or a previous wenzheng result.")
@click.option("--replications", type=click.IntRange(1, 10000), default=1, show_default=True,
              help="Independent replications (seeds seed, seed+1, ...).")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Processes for replications (default: the CPUs available, at most one per replication). A single "
                   "run, when a second CPU is there, uses two helper processes: one simulates its traffic and duty desk "
                   "ahead, one draws its report's plots (the same results); --workers 1 keeps it to one process.")
@click.option("--resident-forms", "resident", type=click.IntRange(min=0), default=None, metavar="N",
              help="Each run's memory budget, counted in open forms (default 36000, about 180 MB): beyond it "
                   "forms wait on disk, in an unnamed file in the staging folder of --out, until their next "
                   "timer; parked forms (about 1/14 of a form each) and event-log rows waiting to be written "
                   "(about 1/16 each) count against it. 0: all in memory. The results are the same.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@_SET
def run(scenario: Path, rules: Path | None, seed: int | None, out_dir: Path | None, replications: int,
        workers: int | None, resident: int | None, quiet: bool, sets: tuple[str, ...]) -> None:
    """Run a scenario through its policy; write metrics.json and the event log; print a summary."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from simulator import load_run_inputs
    from simulator.params import overrides_record
    from simulator.replications import default_workers, run_replications_then, summarise
    from simulator.runner import RESIDENT_FORMS, stream_scenario
    from simulator.stats import prepare as stats_prepare

    if resident is None:
        resident = RESIDENT_FORMS

    loaded = load_run_inputs(scenario, rules)
    sc, policy, rules_dir = loaded
    sc, overrides = _apply_sets(sc, policy, sets)
    recorded = {"overrides": overrides_record(overrides)} if overrides else None
    _say_warnings(rules_dir, len(policy.lint_warnings))
    base_seed = sc.seed if seed is None else seed
    target = out_dir or Path("runs") / sc.name
    check_output_dir(target)  # before the work: refuse a folder we must not or cannot replace
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                        TimeElapsedColumn(), console=err.console, disable=quiet, transient=False)
    helpers = contextlib.ExitStack()
    # a single run's plots: drawn by a process that imports matplotlib and finds the font while the run simulates
    warm = helpers.enter_context(_plotter()) if replications == 1 and (workers is None or workers > 1) else None
    with helpers, staged_dir(target, kind="run" if replications == 1 else "replications") as staging, progress:
        if replications == 1:
            task = progress.add_task(t("run.progress_one", name=sc.name, seed=base_seed), total=1.0)
            metrics = stream_scenario(sc, policy, rules_dir, seed=base_seed, out_dir=staging,
                                      progress=lambda f: progress.update(task, completed=f), extra=recorded,
                                      resident=resident, ahead=workers is None or workers > 1).metrics
        else:
            task = progress.add_task(t("run.progress_many", name=sc.name, n=replications), total=replications)
            # each replication's report page drawn by its worker right after it ran (pipelined), the summary after
            done = run_replications_then(str(scenario), str(rules) if rules else None, base_seed, replications,
                                         default_workers(replications) if workers is None else workers, staging,
                                         _replication_report(), progress=lambda n: progress.update(task, completed=n),
                                         overrides=overrides, inputs=loaded, meanwhile=stats_prepare,
                                         resident=resident)
            reps = [m for m, _ in done]
            pages = [page for _, page in done]
            metrics = summarise(reps)
            if recorded:
                metrics["run"].update(recorded)
            (staging / "metrics.json").write_text(
                json.dumps(metrics, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            (staging / "replications.json").write_text(
                json.dumps(reps, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        # a single run's report: its plots and its tables side by side (two jobs)
        _write_run_report(staging, default_workers(max(2, replications)) if workers is None else workers,
                          pages if replications > 1 else None, warm)
    title = t("run.title_one", name=sc.name, seed=base_seed) if replications == 1 else \
        t("run.title_many", name=sc.name, n=replications, first=base_seed, last=base_seed + replications - 1)
    if overrides:
        title += t("run.title_with", sets=", ".join(f"{p}={v}" for p, v in overrides))
    print_summary(metrics, title)
    out.print(_closing_line(target), soft_wrap=True, highlight=False)


def _replication_report() -> Any:
    """What each replication's worker calls on its folder: draw and write its report page (in the current
    language), giving back what the summary page pools.  Matplotlib is imported and set up here, before the
    pool forks: the workers inherit it instead of each importing it (~0.5 s of CPU each)."""
    import functools

    from engine.i18n import get_lang
    from reporting.page import replication_page
    from reporting.plots import prepare

    prepare()
    return functools.partial(replication_page, lang=get_lang())


def _plotter() -> Any:
    """The process that draws a single run's plots, made ready while the run simulates (``reporting.page.plotter``),
    where a second CPU is there; else nothing (the report draws them as before)."""
    from simulator.ahead import second_core

    if not second_core():
        return contextlib.nullcontext()
    from reporting.page import plotter

    return plotter()


def _write_run_report(run_dir: Path, workers: int, pages: Any = None, warm: Any = None) -> None:
    """report.html (and each replication's) from the run folder's files: the same pages a later rebuild gives.
    ``pages``: the replications' pages their workers drew already (``_replication_report``); ``warm``: the process
    made ready for a single run's plots (``_plotter``)."""
    from reporting.folder import RunFolder
    from reporting.page import write_report

    for warning in write_report(RunFolder.load(run_dir), workers=workers, drawn=pages, warm=warm).warnings:
        err.print(f"[yellow]{t('run.warning')}[/yellow]{warning}", highlight=False)


def _closing_line(target: Path) -> str:
    """Where the results are: the files that exist at the top, and those of each replication's folder."""
    top = sorted(p.name for p in target.iterdir() if p.is_file() and p.name != MANIFEST)
    reps = sorted(p.name for p in target.iterdir() if p.is_dir() and p.name.isdigit())
    if not reps:
        return t("run.results", target=target, files=", ".join(top))
    inner = sorted(p.name for p in (target / reps[0]).iterdir() if p.is_file())
    return t("run.results_reps", target=target, files=", ".join(top), n=len(reps), first=reps[0], last=reps[-1],
              inner=", ".join(inner))


@app.command()
@click.argument("scenario", type=_PATH)
@click.option("--baseline", "rules_a", type=_PATH, required=True, help="Rules directory A (the current policy).")
@click.option("--candidate", "rules_b", type=_PATH, required=True, help="Rules directory B (the proposed change).")
@click.option("--replications", type=click.IntRange(1, 10000), default=5, show_default=True)
@click.option("--workers", type=click.IntRange(1, 256), default=1, show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=None, help="First seed (default: the scenario's).")
@click.option("--out", "out_dir", type=_OUT, default=None,
              help="Folder for comparison.json and impact.csv: new, empty, or a previous wenzheng result.")
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True,
              help="Impacted cases to print (all are written with --out).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--all-metrics", is_flag=True, help="Show every metric, not only the key ones and those that differ.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@_SET
def compare(scenario: Path, rules_a: Path, rules_b: Path, replications: int, workers: int, seed: int | None,
            out_dir: Path | None, limit: int, fmt: str, all_metrics: bool, quiet: bool, sets: tuple[str, ...]) -> None:
    """Policy A/B on common random numbers: paired metric differences and every impacted case."""
    from rich.progress import Progress

    from simulator import load_run_inputs
    from simulator.compare import compare_policies
    from simulator.labels import metric_name
    from simulator.params import overrides_record

    sc, policy_a, _ = load_run_inputs(scenario, rules_a)
    _, policy_b, _ = load_run_inputs(scenario, rules_b)
    sc, overrides = _apply_sets(sc, policy_a, sets)
    _apply_sets(sc, policy_b, sets)
    if out_dir is not None:
        check_output_dir(out_dir)
    base_seed = sc.seed if seed is None else seed
    with Progress(console=err.console, disable=quiet or fmt == "json") as progress:
        task = progress.add_task(t("compare.progress", name=sc.name, n=replications), total=2 * replications)
        res = compare_policies(str(scenario), str(rules_a), str(rules_b), base_seed, replications, workers,
                               progress=lambda n: progress.update(task, completed=n), overrides=overrides)
    doc = {"scenario": sc.name, **({"overrides": overrides_record(overrides)} if overrides else {}),
           "seeds": res.seeds, "baseline": str(rules_a), "candidate": str(rules_b),
           "metrics": res.diffs, "rule_changes": res.rule_changes, "impacted_cases": res.impacted_cases,
           "impacts": res.impacts}
    if out_dir is not None:
        _write_comparison(out_dir, doc)
    if fmt == "json":
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    key_metrics = {"forms", "reply_rate", "on_time_rate", "statement_2h_rate", "reply_working_days_p90",
                   "escalations", "deductions_total", "misrouting_rate", "unrouted_forms"}
    click.echo(t("compare.rule_changes", n=len(res.rule_changes)) if res.rule_changes else t("compare.no_rule_changes"))
    for rc in res.rule_changes:
        click.echo("  " + _rule_change_line(rc))
    table = RichTable(title=t("compare.title", name=sc.name, first=res.seeds[0], last=res.seeds[-1]))
    for i, col in enumerate((t("sum.metric"), t("compare.baseline"), t("compare.candidate"), t("compare.difference"),
                             t("sum.ci95"), t("compare.width"))):
        # the metric's name may wrap; the numbers never lose digits to the terminal's width
        table.add_column(col, justify="left" if i == 0 else "right", no_wrap=i > 0, overflow="fold")
    from simulator.replications import RATE_METRICS as rate_keys

    unchanged = 0
    for key, d in res.diffs.items():
        differs = d["diff"] != 0 or (d["ci_low"] not in (None, 0))
        if not (all_metrics or differs or key in key_metrics):
            unchanged += 1
            continue
        value, change = _compare_formats(key)
        lo, hi = d["ci_low"], d["ci_high"]
        ci = "—" if lo is None or hi is None else f"[{change(lo)}, {change(hi)}]"
        scale = 100 if key in rate_keys else 1  # a rate's widths in percentage points, like its change
        width = "—" if d["paired_ci_width"] is None or d["unpaired_ci_width"] is None else \
            f"{scale * d['paired_ci_width']:.3g}/{scale * d['unpaired_ci_width']:.3g}" + (
                "" if d["ci_width_reduction"] is None else f" (−{d['ci_width_reduction']:.0%})"
                if d["ci_width_reduction"] >= 0 else f" (+{-d['ci_width_reduction']:.0%})")
        base, cand, diff = (float(d[k] or 0.0) for k in ("baseline", "candidate", "diff"))
        table.add_row(metric_name(key), value(base), value(cand), change(diff), ci, width,
                      style="bold" if differs else None)
    out.print(table, soft_wrap=True)
    click.echo(t("compare.pp_note"))
    if unchanged:
        click.echo(t("compare.unchanged", n=unchanged))
    click.echo(t("compare.impacted", n=res.impacted_cases, reps=len(res.seeds)))
    for item in res.impacts[:limit]:
        click.echo("  " + t("compare.case", seed=item["seed"], case=item["case_id"]))
        for ch in item["changes"]:
            click.echo(f"    {ch['field']}: {_impact_value(ch['baseline'])} → {_impact_value(ch['candidate'])}")
            click.echo("      " + t("compare.by_baseline", rules="; ".join(ch["baseline_rules"]) or "—"))
            click.echo("      " + t("compare.by_candidate", rules="; ".join(ch["candidate_rules"]) or "—"))
    if res.impacted_cases > limit:
        more = res.impacted_cases - limit
        click.echo("  " + (t("compare.more_in", n=more, path=f"{out_dir}/impact.csv") if out_dir else
                           t("compare.more", n=more)))


def _compare_formats(key: str) -> tuple[Callable[[float], str], Callable[[float], str]]:
    """How ``compare`` shows a metric's values and its changes: a rate in % (as ``run`` shows it) and its change
    in percentage points, everything else to 4 significant digits."""
    from simulator.replications import RATE_METRICS

    if key in RATE_METRICS:
        return (lambda v: f"{100 * v:.1f}%"), (lambda v: f"{100 * v:+.2f}")
    return (lambda v: f"{v:.4g}"), (lambda v: f"{v:+.4g}")


def _impact_value(value: str | None) -> str:
    """A case field's value in ``compare``'s text: the codes "form" / "no form" (kept in the JSON and CSV) read
    in the current language."""
    if not value:
        return t("compare.none")
    return {"form": t("compare.form"), "no form": t("compare.no_form")}.get(value, value)


def _rule_change_line(rc: dict[str, Any]) -> str:
    """One rule-definition change of ``compare``, e.g. 'modified routing rule route-parks (then) at …'."""
    if rc["rule"] is None:  # a table-level change: hit policy or rule order
        return t("compare.table_change", table=rc["table"], what=", ".join(rc["what"]), baseline=rc["baseline"],
                 candidate=rc["candidate"])
    where = {"added": rc["candidate"], "removed": rc["baseline"],
             "modified": rc["baseline"] + ("" if rc["baseline"] == rc["candidate"] else f" → {rc['candidate']}")
             }[rc["change"]]
    what = ", ".join(rc["what"])
    change = {"added": t("compare.added"), "removed": t("compare.removed"), "modified": t("compare.modified")
              }[rc["change"]]
    return t("compare.rule_change", change=change, table=rc["table"], rule=rc["rule"],
             what=t("compare.rule_what", what=what) if what else "", where=where)


def _write_comparison(out_dir: Path, doc: dict[str, Any]) -> None:
    with staged_dir(out_dir, kind="compare") as staging:
        _write_comparison_files(staging, doc)


def _write_comparison_files(folder: Path, doc: dict[str, Any]) -> None:
    import csv
    import io

    (folder / "comparison.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["seed", "case_id", "field", "baseline", "candidate", "baseline_rules", "candidate_rules"])
    for item in doc["impacts"]:
        for ch in item["changes"]:
            w.writerow([item["seed"], item["case_id"], ch["field"], ch["baseline"], ch["candidate"],
                        "; ".join(ch["baseline_rules"]), "; ".join(ch["candidate_rules"])])
    (folder / "impact.csv").write_text(buf.getvalue(), encoding="utf-8")


@app.command()
@click.option("--baseline-dir", type=_PATH, default=Path("baselines"), show_default=True)
@click.option("--rules", type=_PATH, default=None, help="Rules to check (default: each scenario's own).")
@click.option("--only", multiple=True, help="Only these baselines (file names without extension).")
@click.option("--workers", type=click.IntRange(1, 256), default=2, show_default=True)
@click.option("--junit", type=_OUT, default=None, help="Write JUnit XML here.")
@click.option("--markdown", type=_OUT, default=None, help="Write a Markdown summary here (for a PR comment).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_FORCE
def check(baseline_dir: Path, rules: Path | None, only: tuple[str, ...], workers: int, junit: Path | None,
          markdown: Path | None, fmt: str, force: bool) -> None:
    """CI gate: rerun each baselined scenario and test every metric for non-inferiority.

    Exit 0 when all checks hold, 1 on a regression, 2 on unusable input.
    """
    import time as _time

    from engine.lint import load_checked
    from simulator import load_run_inputs
    from simulator.gate import (
        json_report,
        junit_report,
        load_baselines,
        markdown_report,
        run_gate,
        text_report,
    )

    baselines = load_baselines(baseline_dir, only)
    rules_dirs: set[str] = set()
    for b in baselines:  # validate scenario and rules before spending time on runs (unloadable rules: exit 2)
        rules_dirs.add(str(load_run_inputs(b.scenario_path(), rules, allow_lint_errors=True)[2]))
    # rules that load but that lint rejects (a routing gap, a rule that never fires) are measured anyway:
    # their lint errors are failures of the gate, beside every metric they move
    lint_errors = [p for d in sorted(rules_dirs) for p in load_checked(d, allow_lint_errors=True)[1]
                   if p.severity == "error"]
    if junit is not None and markdown is not None and junit.resolve() == markdown.resolve():
        raise UserError(t("check.same_file", path=junit))
    if junit is not None:
        check_output_file(junit, _JUNIT_OWNED, force, "--junit")
    if markdown is not None:
        check_output_file(markdown, _MARKDOWN_OWNED, force, "--markdown")
    t0 = _time.perf_counter()
    outcomes = run_gate(baselines, rules, workers,
                        progress=None if fmt == "json" else lambda name: err.print(t("check.checking", name=name)),
                        allow_lint_errors=True)
    seconds = _time.perf_counter() - t0
    if junit is not None:
        atomic_write_text(junit, junit_report(outcomes, seconds, lint_errors), _JUNIT_OWNED, force, "--junit")
    if markdown is not None:
        atomic_write_text(markdown, markdown_report(outcomes, seconds, lint_errors), _MARKDOWN_OWNED, force,
                          "--markdown")
    failed = [o for o in outcomes if not o.passed]
    click.echo(json_report(outcomes, seconds, lint_errors) if fmt == "json"
               else text_report(outcomes, seconds, lint_errors))
    if failed or lint_errors:
        raise click.exceptions.Exit(EXIT_PROBLEMS)


@app.command()
@click.argument("run_dir", type=_PATH)
@click.option("--format", "fmt", type=click.Choice(["csv", "xes", "parquet"]), default="csv", show_default=True)
@click.option("--out", "out_file", type=_OUT, default=None,
              help="Output file (default RUN_DIR/events.pm.csv, events.xes or events.parquet).")
@click.option("--steps-only", is_flag=True, help="Only the five steps (收集整理 上报通报 调查办理 督办落实 反馈回复).")
@click.option("--replication", type=click.IntRange(min=0), default=None, metavar="N",
              help="A replicated run: export replication N (folder RUN_DIR/00N) only (default: every "
                   "replication, with a replication column).")
@_FORCE
def export(run_dir: Path, fmt: str, out_file: Path | None, steps_only: bool, replication: int | None,
           force: bool) -> None:
    """Export a run's event log for process-mining tools (pm4py, ProM, Disco)."""
    from simulator.export import default_path, export_log, replication_folders

    from .outputs import register_file

    target = out_file or default_path(run_dir, fmt)
    owned = _export_owned(fmt)
    check_output_file(target, owned, force)
    with atomic_file(target, owned, force) as tmp:
        export_log(run_dir, fmt, tmp, steps_only, replication)
    register_file(target)  # inside a result folder: list it in the manifest, so the folder stays ours
    reps = [] if replication is not None or (run_dir / "events.csv").is_file() else replication_folders(run_dir)
    if reps:
        click.echo(t("export.wrote_reps_xes" if fmt == "xes" else "export.wrote_reps", path=target, n=len(reps)))
    elif replication is not None:
        click.echo(t("export.wrote_one_rep", path=target, rep=f"{replication:03d}"))
    else:
        click.echo(t("export.wrote", path=target))


@app.command()
@click.argument("run_dir", type=_PATH)
@click.option("--quarter", default=None, metavar="YYYYQn", help="Only this quarter, e.g. 2014Q3 (default: every "
              "quarter of the run, one page each).")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf"]), default="pdf", show_default=True)
@click.option("--out", "out_file", type=_OUT, default=None,
              help="Output file (default RUN_DIR/quarterly-report[-QUARTER].pdf or .html).")
@_FORCE
def report(run_dir: Path, quarter: str | None, fmt: str, out_file: Path | None, force: bool) -> None:
    """The printable quarterly report for the district leadership: one A4 landscape page per quarter."""
    import re

    from reporting.folder import RunFolder
    from reporting.leaders import load_runs
    from reporting.quarterly import html_to_pdf, quarterly_html

    from .outputs import register_file

    if quarter is not None and not re.fullmatch(r"\d{4}Q[1-4]", quarter.strip()):
        raise UserError(t("report.bad_quarter", value=quarter))
    quarter = quarter.strip() if quarter else None
    folder = RunFolder.load(run_dir)
    target = out_file or run_dir / f"quarterly-report{'-' + quarter if quarter else ''}.{fmt}"
    owned = _report_owned(fmt)
    check_output_file(target, owned, force)
    runs = load_runs(folder)
    page = quarterly_html(folder, quarter, runs=runs)
    with atomic_file(target, owned, force) as tmp:
        if fmt == "html":
            tmp.write_text(page, encoding="utf-8")
        else:
            html_to_pdf(page, tmp)
    register_file(target)  # inside a result folder: list it in the manifest, so the folder stays ours
    click.echo(t("report.wrote", path=target, pages=page.count("<section class='page'")))


def _report_owned(fmt: str) -> Callable[[Path], bool]:
    from reporting.quarterly import PDF_TITLE, SIGNATURE

    if fmt == "html":
        return head_contains(SIGNATURE.encode(), size=512)
    return head_contains(PDF_TITLE.encode(), size=1 << 20)  # Chromium writes the <title> into the PDF's Info


def _export_owned(fmt: str) -> Callable[[Path], bool]:
    from simulator.export import COLUMNS, REPLICATION_COLUMN, SIGNATURE_KEY, XES_SIGNATURE

    if fmt == "csv":
        header = ",".join(COLUMNS).encode()
        one, reps = head_contains(header + b"\n", size=len(header) + 1), \
            head_contains(header + f",{REPLICATION_COLUMN}\n".encode(), size=len(header) + len(REPLICATION_COLUMN) + 2)
        return lambda p: one(p) or reps(p)  # our exact header line, first in the file
    if fmt == "xes":
        return head_contains(XES_SIGNATURE.encode(), size=512)
    return head_contains(b"PAR1", SIGNATURE_KEY.encode(), b"wenzheng", size=65536, tail=True)


@app.group()
def baseline() -> None:
    """Manage the CI gate's baseline files."""


@baseline.command("update")
@click.option("--baseline-dir", type=_PATH, default=Path("baselines"), show_default=True)
@click.option("--rules", type=_PATH, default=None, help="Rules to record (default: each scenario's own).")
@click.option("--only", multiple=True, help="Only these baselines (file names without extension).")
@click.option("--workers", type=click.IntRange(1, 256), default=2, show_default=True)
def baseline_update(baseline_dir: Path, rules: Path | None, only: tuple[str, ...], workers: int) -> None:
    """Rerun the baselined scenarios and rewrite their observed values; say what changed."""
    from simulator import load_run_inputs
    from simulator.gate import load_baselines, record_baseline

    def write(path: Path, text: str) -> None:
        atomic_write_text(path, text, lambda _: True, option="baseline")

    loaded = load_baselines(baseline_dir, only)
    for b in loaded:  # inputs and baseline files checked before minutes of runs
        load_run_inputs(b.scenario_path(), rules)
        check_output_file(b.path, lambda _: True, option="baseline")
    for b in loaded:
        changes = record_baseline(b, rules, workers, write=write)
        moved = [(m, old, new) for m, old, new in changes if old != new]
        click.echo(t("baseline.changed", path=b.path, moved=len(moved), n=len(changes)))
        for metric, old, new in moved:
            click.echo(f"  {metric}: {'—' if old is None else f'{old:.6g}'} → {'—' if new is None else f'{new:.6g}'}")


@app.command()
@click.option("--from", "from_", required=True, help="Start, ISO 8601 with offset, e.g. 2014-09-30T16:00+08:00.")
@click.option("--within", required=True, help="Duration, e.g. '5 working days' or '2 hours'.")
@click.option("--rules", type=_PATH, default=Path("rules"), show_default=True,
              help="Rules directory whose calendar to use.")
def deadline(from_: str, within: str, rules: Path) -> None:
    """Print the due time of a deadline on the policy's working-day calendar."""
    start = _parse_from(from_)
    try:
        from engine.durations import parse_duration

        duration = parse_duration(within)
    except DurationError as exc:
        raise UserError(t("deadline.bad_within", reason=exc)) from None
    from engine.policy import Policy

    policy = Policy.load(rules)
    try:
        due = policy.calendar.add(start, duration)
    except CalendarError as exc:
        raise UserError(str(exc)) from None
    except OverflowError:  # e.g. --from 0001-01-01T00:00+08:00: no time zone conversion exists
        raise UserError(t("deadline.out_of_range", value=from_)) from None
    out.print(due.isoformat())


_ISO_FROM = r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?(Z|[+-]\d{2}:?\d{2})?"


def _parse_from(value: str) -> datetime:
    """``deadline --from``: an ISO 8601 date-time with a UTC offset.  A refusal suggests a value this function
    accepts (a date alone or a date with an offset gets T00:00; a missing offset gets +08:00), never one it
    would refuse again: Python reads "2014-09-30+08:00" as 08:00 without an offset, so only the strict
    ISO shapes are taken."""
    import re

    m = re.fullmatch(_ISO_FROM, value.strip())
    if m is not None:
        day, clock, offset = m.groups()
        try:
            start = datetime.fromisoformat(f"{day}T{clock or '00:00'}{offset or ''}".replace("Z", "+00:00"))
        except ValueError:
            start = None
        if start is not None and offset and clock:
            return start
        if start is not None:
            suggestion = f"{day}T{clock or '00:00'}{offset or '+08:00'}"
            raise UserError(t("deadline.no_offset", value=value, suggestion=suggestion)
                            if not offset else t("deadline.no_time", value=value, suggestion=suggestion))
    raise UserError(t("deadline.not_iso", value=value))



@app.command()
@click.argument("rules", type=_PATH, default=Path("rules"))
def validate(rules: Path) -> None:
    """Check that a rules directory is a valid policy lint finds no errors in (exit 0), or say why (exit 2)."""
    from engine.lint import load_checked

    policy, warnings = load_checked(rules)
    n = sum(len(table.rules) for table in policy.tables.values())
    out.print(t("validate.ok", rules=rules, units=len(policy.units), categories=len(policy.categories),
                places=len(policy.places), n=n, tables=len(policy.tables)))
    _say_warnings(rules, len(warnings))


def _say_warnings(rules: Path, n: int) -> None:
    if n:
        click.echo(t("validate.warnings", rules=rules, n=n), err=True)


@app.command()
@click.argument("rules", type=_PATH, default=Path("rules"))
@click.option("--scenario", "scenarios", type=_PATH, multiple=True,
              help="Also check that the calendar covers this scenario's period (repeatable). "
                   "Default: scenarios/*.yaml next to the rules directory that use it.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def lint(rules: Path, scenarios: tuple[Path, ...], fmt: str) -> None:
    """Report every problem in a rules directory: exit 0 clean, 1 problems found, 2 unusable input."""
    from engine.lint import lint as run_lint

    if not scenarios:
        scenarios = tuple(_scenarios_using(rules))
    report = run_lint(rules, scenarios)
    if fmt == "json":
        click.echo(json.dumps({"problems": [p.as_dict() for p in report.problems],
                               "errors": len(report.errors),
                               "warnings": len(report.problems) - len(report.errors),
                               "skipped": report.skipped},
                              ensure_ascii=False, indent=2))
    else:
        for p in report.problems:
            click.echo(p.lint_line())
        for why in report.skipped:
            click.echo(t("lint.skipped", why=why), err=True)
        n_err, n_warn = len(report.errors), len(report.problems) - len(report.errors)
        click.echo(t("lint.summary", rules=rules, errors=n_err, warnings=n_warn) if report.problems else
                   t("lint.clean", rules=rules), err=True)
    if not report.usable:
        raise click.exceptions.Exit(EXIT_USAGE)
    if report.problems:
        raise click.exceptions.Exit(EXIT_PROBLEMS)


def _scenarios_using(rules: Path) -> list[Path]:
    """Scenario files in ../scenarios whose rules (their own 'rules:' or the one they extend) are ``rules``."""
    from simulator.scenario import declared_rules_dir

    found = []
    base = rules.resolve().parent / "scenarios"
    for f in sorted(base.glob("*.yaml")) if base.is_dir() else []:
        try:
            if declared_rules_dir(f) == rules.resolve():
                found.append(f)
        except WenzhengError:
            continue
    return found


@app.command()
@click.option("--rules", type=_PATH, default=Path("rules"), show_default=True,
              help="Rules directory for the routing measurements.")
@click.option("--scenario", "scenarios", type=_PATH, multiple=True,
              help="Scenario to run (repeatable; default scenarios/changping-2014.yaml, megacity-day.yaml and "
                   "megacity-week.yaml, or only the first with --quick).")
@click.option("--repeat", type=click.IntRange(1, 100), default=None,
              help="Measurements of each figure; the median is reported  [default: 3, 1 with --quick]")
@click.option("--quick", is_flag=True, help="changping-2014 only (unless --scenario), one repeat: a smoke test.")
@click.option("--events", type=click.IntRange(min=100), default=20000, show_default=True,
              help="Routing decisions per timed pass.")
@click.option("--json", "json_out", is_flag=True, help="Machine-readable output (keys: docs/benchmarks.md).")
@click.option("--live", is_flag=True, help="Measure the live service's intake instead: a wenzheng serve on a fresh "
                                           "SQLite store, signed posts at --rate, sustained posts/s and p50/p99.")
@click.option("--rate", type=click.FloatRange(1, 100_000), default=250.0, show_default=True,
              help="With --live: posts offered per second (open loop: not waiting for answers).")
@click.option("--posts", type=click.IntRange(100, 1_000_000), default=3000, show_default=True,
              help="With --live: posts timed.")
@click.option("--db", "live_db", default=None,
              help="With --live: an empty store to measure on (a SQLAlchemy URL, e.g. PostgreSQL); default a fresh "
                   "SQLite file.")
def bench(rules: Path, scenarios: tuple[Path, ...], repeat: int | None, quick: bool, events: int,
          json_out: bool, live: bool, rate: float, posts: int, live_db: str | None) -> None:
    """Measure engine µs per routing decision, scenario throughput and peak memory, and CLI start-up."""
    if live:
        _bench_live(rules, rate, posts, json_out, live_db)
        return
    from .bench import DEFAULT_SCENARIOS, run_bench

    chosen = list(scenarios) or list(DEFAULT_SCENARIOS[:1] if quick else DEFAULT_SCENARIOS)
    result = run_bench(rules, chosen, events, repeat or (1 if quick else 3),
                       progress=lambda what: err.print(t("bench.progress", what=what)))
    if json_out:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    _print_bench(result)


#: issue 13's intake target on a 2-core machine
LIVE_TARGET_RATE, LIVE_TARGET_P99_MS = 200.0, 100.0


def _bench_live(rules: Path, rate: float, posts: int, json_out: bool, db: str | None = None) -> None:
    from engine.policy import Policy

    try:
        from live.loadtest import measure
    except ImportError as exc:
        from live.messages import t as live_t

        raise UserError(live_t("serve.missing_extra", module=exc.name or exc)) from None
    Policy.load(rules)  # a bad rules folder is exit 2 here, not a service that will not start
    err.print(t("bench.progress", what=t("bench.live_progress", rate=f"{rate:g}", posts=posts)))
    r = measure(rules, n=posts, rate=rate, db=db)
    r["db"] = "sqlite" if db is None else db.split(":", 1)[0].split("+", 1)[0]
    r["target"] = {"posts_per_second": LIVE_TARGET_RATE, "p99_ms": LIVE_TARGET_P99_MS}
    r["target_met"] = r["posts_per_second"] >= LIVE_TARGET_RATE and r["p99_ms"] <= LIVE_TARGET_P99_MS \
        and r["failed"] == 0
    if json_out:
        click.echo(json.dumps(r, ensure_ascii=False, indent=2))
        return
    out.print(t("bench.live_title", posts=posts, rate=f"{rate:g}", db=r["db"]))
    out.print(t("bench.live_result", pps=r["posts_per_second"], p50=r["p50_ms"], p99=r["p99_ms"], max=r["max_ms"],
                failed=r["failed"]))
    out.print(t("bench.live_target", rate_target=f"{LIVE_TARGET_RATE:g}", p99_target=f"{LIVE_TARGET_P99_MS:g}",
                verdict=t("bench.met" if r["target_met"] else "bench.not_met")))


def _print_bench(r: dict[str, Any]) -> None:
    """The human tables of ``bench`` in the current language (Chinese also names each column in English)."""
    median = t("bench.median", n=r["repeat"])
    table = RichTable(title=t("bench.routing_title", n=f"{r['decisions_timed']:,}", median=median))
    for i, col in enumerate((t("bench.col_table"), t("bench.col_rules"), t("bench.col_engine"),
                             t("bench.col_c_layer"), t("bench.col_reference"))):
        # the table's name may wrap; the numbers never lose digits to the terminal's width
        table.add_column(col, justify="left" if i == 0 else "right", no_wrap=i > 0, overflow="fold")
    for row in r["routing"]:
        table.add_row(row["table"], str(row["rules"]), f"{row['engine_us_per_decision']:.2f}",
                      f"{row['c_layer_us_per_decision']:.2f}", f"{row['reference_us_per_decision']:.2f}")
    out.print(table)
    s = RichTable(title=t("bench.scenarios_title", median=median))
    for i, col in enumerate((t("bench.col_scenario"), t("bench.col_posts"), t("bench.col_forms"),
                             t("bench.col_posts_s"), t("bench.col_forms_s"), t("bench.col_wall"), t("bench.col_rss"),
                             t("bench.col_imports"))):
        s.add_column(col, justify="left" if i == 0 else "right", no_wrap=True)
    for sc in r["scenarios"]:
        s.add_row(sc["scenario"], f"{sc['posts']:,}", f"{sc['forms']:,}", f"{sc['posts_per_second']:,.0f}",
                  f"{sc['forms_per_second']:,.0f}", f"{sc['wall_seconds']:.2f}", f"{sc['peak_rss_mb']:.0f}",
                  f"{sc['import_seconds']:.2f}")
    out.print(s)
    out.print(t("bench.startup", seconds=f"{r['startup_seconds']:.3f}"))
    from engine import native

    why = dict(zip(native.REASONS, ("bench.native_off", "bench.native_not_built", "bench.native_no_stamp",
                                    "bench.native_no_source", "bench.native_changed", "bench.native_early"),
                   strict=True))
    rest = "".join(f"\n  {row['module']}: {t(why[row['reason']]) if row['reason'] in why else row['reason']}"
                   for row in r["native_not_used"])
    out.print(t("bench.native", n=r["native_modules"], of=r["native_modules_of"], rest=rest), markup=False)


@app.command()
@click.argument("source", required=False, type=str)
@click.option("--rules", type=_PATH, default=Path("rules"), show_default=True, help="Rules directory.")
@click.option("--text", help="Post text (instead of a file).")
@click.option("--place", help="Place the post is about (with --text).")
@click.option("--channel", type=click.Choice(["weibo", "wechat"]), default="weibo", show_default=True)
@click.option("--reposts", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--at", "at_", help="When the form is issued, ISO 8601 with offset (with --text).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, is_eager=True, callback=_lang_callback,
              help="输出语言 / output language: zh (default) or en; also WENZHENG_LANG.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def explain(source: str | None, rules: Path, text: str | None, place: str | None, channel: str, reposts: int,
            at_: str | None, lang: str | None, fmt: str) -> None:
    """Explain every decision on a post (and later events on its case).

    SOURCE is a YAML/JSON file, or - for standard input, holding either a post
    (text, place, at, channel, reposts) or a case ({post: ..., events: [...]}).
    Or give the post inline with --text/--place/--at.
    """
    from pydantic import ValidationError

    from engine.errors import SourceError
    from engine.explain import CaseSource, ExplainInput, explain_case, render
    from engine.yamlsrc import load_yaml, load_yaml_stream, validation_problems

    if source is None and text is None:
        raise UserError(t("explain.no_input"))
    if source is not None and text is not None:
        raise UserError(t("explain.both_inputs"))
    if text is not None:
        name = "<command line>"
        data: Any = {"post": {"text": text, "place": place, "channel": channel, "reposts": reposts, "at": at_}}
        doc = None
    else:
        assert source is not None
        if source == "-":
            name = "<stdin>"
            doc, data = load_yaml_stream(sys.stdin, name)  # a bounded read (docs/limits.md)
        else:
            name = source
            doc, data = load_yaml(source)
        if not isinstance(data, dict):
            from engine.errors import Problem

            raise SourceError([Problem(name, 1, 1, t("explain.not_mapping"))])

        if "post" not in data:
            data = {"post": data}
    try:
        request = ExplainInput.model_validate(data)
    except ValidationError as exc:
        if doc is None:
            from engine.yamlsrc import pydantic_message

            problems = "; ".join(f"--{'.'.join(map(str, e['loc'][1:]))}: {pydantic_message(e)[0]}"
                                 for e in exc.errors(include_url=False))

            raise UserError(problems) from None
        probs = validation_problems(doc, exc, ExplainInput)
        if "post" not in (doc.data or {}):  # a bare post: locations are relative to the top level
            from engine.errors import Problem

            probs = [Problem(p.file, *doc.locate([k for k in _loc_of(p.key)][1:]), p.message, key=p.key[5:],
                             suggestion=p.suggestion) for p in probs]
        raise SourceError(probs) from None
    from engine.policy import Policy

    policy = Policy.load(rules)
    result = explain_case(policy, request, CaseSource(name, doc, bare_post=doc is not None and "post" not in (doc.data or {})))
    if fmt == "json":
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        from engine.i18n import get_lang

        click.echo(render(result, lang or get_lang()))


def _loc_of(key: str) -> list[str | int]:
    import re

    parts: list[str | int] = []
    for name, idx in re.findall(r"([^.\[\]]+)|\[(\d+)\]", key):
        parts.append(int(idx) if idx else name)
    return parts


@app.command(name="test")
@click.argument("rules", type=_PATH, default=Path("rules"))
@click.option("--tests", "tests_dir", type=_PATH, default=None, help="Test folder (default RULES/tests).")
@click.option("--coverage-min", type=click.FloatRange(0, 100), default=None,
              help="Fail when rule coverage (percent) is below this.")
@click.option("--junit", type=_OUT, default=None, help="Write JUnit XML here.")
@click.option("-v", "--verbose", is_flag=True, help="List passing cases too.")
@_FORCE
def test_cmd(rules: Path, tests_dir: Path | None, coverage_min: float | None, junit: Path | None,
             verbose: bool, force: bool) -> None:
    """Run the policy's test cases (RULES/tests/*.yaml) and report rule coverage."""
    from engine.policy import Policy
    from engine.policytest import junit_xml, run_policy_tests

    policy = Policy.load(rules)
    if junit is not None:
        check_output_file(junit, _JUNIT_OWNED, force, "--junit")
    result = run_policy_tests(policy, tests_dir or rules / "tests")
    for r in result.results:
        where = f"{r.file}:{r.line}"
        if r.passed:
            if verbose:
                click.echo(f"{click.style(t('test.pass'), fg='green')} {r.name} ({where})")
            continue
        click.echo(f"{click.style(t('test.fail'), fg='red')} {r.name} ({where})")
        for d in r.diffs:
            click.echo(f"  {d}")
    click.echo(t("test.summary", passed=result.passed, failed=result.failed))
    click.echo(t("test.coverage", covered=len(result.covered), total=len(result.rules),
                 pct=f"{result.coverage:.1f}"))
    for rule in result.uncovered():
        click.echo(t("test.not_covered", rule=rule.id, where=rule.where))
    if junit is not None:
        atomic_write_text(junit, junit_xml(result, coverage_min), _JUNIT_OWNED, force, "--junit")
    below = coverage_min is not None and result.coverage + 1e-9 < coverage_min
    if below:
        click.echo(t("test.below", pct=f"{result.coverage:.1f}", min=f"{coverage_min:g}"))
    if result.failed or below:
        raise click.exceptions.Exit(EXIT_PROBLEMS)


@app.command()
@click.option("--out", "out_dir", type=_OUT, default=Path("docs/schema"), show_default=True,
              help="Folder for the *.schema.json files (created if missing; other files in it are left alone).")
@_FORCE
def schema(out_dir: Path, force: bool) -> None:
    """Write the JSON Schema of every rule-file kind and of scenario files (for editors)."""
    from engine.editor_schema import rule_file_schemas
    from engine.policytest import PolicyTestFile
    from simulator.scenario import scenario_schema

    tests_schema = PolicyTestFile.model_json_schema()
    tests_schema.update({"$schema": "https://json-schema.org/draft/2020-12/schema",
                         "title": "wenzheng policy test file"})
    from simulator.gate import BaselineFile

    baseline_schema = BaselineFile.model_json_schema()
    baseline_schema.update({"$schema": "https://json-schema.org/draft/2020-12/schema",
                            "title": "wenzheng CI gate baseline file"})
    schemas = {**rule_file_schemas(), "scenario": scenario_schema(), "policy-tests": tests_schema,
               "baseline": baseline_schema}
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(t("schema.out_is_file", path=out_dir))
    paths = {kind: out_dir / f"{kind}.schema.json" for kind in schemas}
    for path in paths.values():  # every file checked before any is written
        check_output_file(path, _SCHEMA_OWNED, force)
    for kind, doc in schemas.items():
        atomic_write_text(paths[kind], json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                          _SCHEMA_OWNED, force)
        out.print(t("schema.wrote", path=paths[kind]))


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every cleanup (staging folders, temporary files) runs."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated()


EXIT_TERMINATED = 128 + 15


@app.command()
@click.argument("scenario", type=_PATH)
@click.option("--vary", "varies", multiple=True, required=True, metavar="PATH=LO..HI",
              help="A scenario parameter by dotted path and its range, e.g. units.default.no_reply=0..0.2 "
                   "(repeatable; each is varied alone, the others stay at the scenario's values).")
@click.option("--points", type=click.IntRange(1, 1000), default=5, show_default=True,
              help="Values per parameter, evenly spaced from LO to HI.")
@click.option("--replications", type=click.IntRange(1, 10000), default=10, show_default=True,
              help="Replications per value, the same seeds at every value (common random numbers).")
@click.option("--workers", type=click.IntRange(1, 256), default=1, show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=None, help="First seed (default: the scenario's).")
@click.option("--rules", type=_PATH, default=None, help="Rules directory (overrides the scenario's).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
@click.option("--out", "out_file", type=_OUT, default=None, help="Write the result here instead of to stdout.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@_SET
@_FORCE
def sensitivity(scenario: Path, varies: tuple[str, ...], points: int, replications: int, workers: int,
                seed: int | None, rules: Path | None, fmt: str, out_file: Path | None, quiet: bool,
                sets: tuple[str, ...], force: bool) -> None:
    """One-at-a-time sensitivity of the reply rate, on-time rate and 2-hour compliance to scenario inputs."""
    from rich.progress import Progress

    from simulator import load_run_inputs
    from simulator.params import parse_range
    from simulator.sensitivity import (
        plan_factors,
        render_csv,
        render_json,
        render_text,
        run_sensitivity,
    )

    specs = [parse_range(v, f"--vary {v}") for v in varies]
    if out_file is not None:  # before any run: a result that cannot be written is not computed
        check_output_file(out_file, _sensitivity_owned, force, "--out")
    sc, policy, _ = load_run_inputs(scenario, rules)
    sc, overrides = _apply_sets(sc, policy, sets)
    factors = plan_factors(sc, policy, specs, points, origin=lambda p, lo, hi: f"--vary {p}={lo:g}..{hi:g}")
    for f in factors:
        if any(p == f.path for p, _ in overrides):
            raise UserError(t("set.and_vary", path=f.path))
    base_seed = sc.seed if seed is None else seed
    seeds = list(range(base_seed, base_seed + replications))
    total = sum(len(f.values) for f in factors) * replications
    with Progress(console=err.console, disable=quiet) as progress:
        task = progress.add_task(t("sens.progress", name=sc.name, n=len(factors)), total=total)
        res = run_sensitivity(str(scenario), str(rules) if rules else None, factors, seeds, workers,
                              progress=lambda n: progress.update(task, completed=n), scenario_name=sc.name,
                              overrides=overrides)
    text = {"text": render_text, "json": render_json, "csv": render_csv}[fmt](res)
    if out_file is not None:
        atomic_write_text(out_file, text, _sensitivity_owned, force, "--out")
        err.print(t("sens.wrote", path=out_file))
    else:
        click.echo(text, nl=False)


@app.command()
@click.argument("scenario", type=_PATH)
@click.option("--vary", "vary", required=True, metavar="PATH=LO..HI",
              help="The parameter to plan and its range, e.g. desk.staff=1..7.")
@click.option("--target", "target_texts", multiple=True, required=True, metavar='"METRIC OP VALUE"',
              help='A target every answer must meet, e.g. "statement_2h_rate >= 0.95" (OP: >=, <=, >, <; '
                   "repeatable: all must hold).")
@click.option("--confidence", type=click.FloatRange(0.5, 1, min_open=True, max_open=True), default=0.95,
              show_default=True, help="Confidence of each one-sided bound.")
@click.option("--minimize/--maximize", "minimize", default=True, show_default=True,
              help="The smallest value meeting the targets, or the largest.")
@click.option("--step", type=float, default=None,
              help="Distance between the values tried (default 1 for a whole-number parameter; required otherwise).")
@click.option("--replications-start", type=click.IntRange(2, 10000), default=5, show_default=True,
              help="Replications at each value tried before any is added.")
@click.option("--max-replications", type=click.IntRange(2, 10000), default=40, show_default=True,
              help="Replications at most per value: doubled from the start while the verdict is uncertain.")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="First seed (default: the scenario's).")
@click.option("--rules", type=_PATH, default=None, help="Rules directory (overrides the scenario's).")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Where the runs go: a local process pool, or a Dask cluster (--scheduler).")
@click.option("--scheduler", default=None, metavar="URL", help="Dask scheduler address, e.g. tcp://host:8786.")
@click.option("--workers", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Processes (local executor).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--quiet", is_flag=True, help="No progress messages.")
@_SET
def plan(scenario: Path, vary: str, target_texts: tuple[str, ...], confidence: float, minimize: bool,
         step: float | None, replications_start: int, max_replications: int, seed: int | None,
         rules: Path | None, executor: str, scheduler: str | None, workers: int, fmt: str, quiet: bool,
         sets: tuple[str, ...]) -> None:
    """The smallest (or largest) value of a parameter meeting every target with the stated confidence.

    Exit 0 with an answer, 1 when no value in the range meets the targets (or only uncertainly), 2 for
    unusable input.  Binary search, assuming the targets' metrics are monotone in the parameter.
    """
    from simulator import load_run_inputs
    from simulator.params import parse_range
    from sweeps.plan import candidate_values, check_values, plan_search, render_json, render_text
    from sweeps.targets import parse_target

    if max_replications < replications_start:
        raise UserError(t("plan.max_below_start", most=max_replications, start=replications_start))
    if executor == "local" and scheduler is not None:
        raise UserError(t("plan.scheduler_needs_dask"))
    targets = [parse_target(t, f"--target {t}") for t in target_texts]
    path, lo, hi = parse_range(vary, f"--vary {vary}")
    sc, policy, _ = load_run_inputs(scenario, rules)
    sc, overrides = _apply_sets(sc, policy, sets)
    origin = f"--vary {vary}"
    norm, values = candidate_values(sc, path, lo, hi, step, origin)
    if any(p == norm for p, _ in overrides):
        raise UserError(t("set.and_vary", path=norm))
    valid, invalid = check_values(sc, policy, norm, values, overrides, origin)
    if not valid:
        raise UserError(t("plan.none_valid", path=norm, range=f"{lo:g}..{hi:g}", value=f"{invalid[0][0]:g}",
                          why=invalid[0][1]))
    base_seed = sc.seed if seed is None else seed
    def say(n: int) -> None:
        if not quiet and err.console.is_terminal:
            err.print(t("plan.progress", n=n), end="\r")

    res = plan_search(str(scenario), str(rules) if rules else None, sc.name, norm, valid, targets,
                      goal="minimize" if minimize else "maximize", confidence=confidence,
                      replications_start=replications_start, max_replications=max_replications,
                      base_seed=base_seed, overrides=overrides, invalid=invalid, executor=executor,
                      workers=workers, scheduler=scheduler, progress=say)
    click.echo(render_json(res) if fmt == "json" else render_text(res), nl=False)
    if res.answer is None:
        raise click.exceptions.Exit(EXIT_PROBLEMS)


@app.command()
@click.argument("scenarios", nargs=-1, required=True, type=_PATH)
@click.option("--set", "sets", multiple=True, metavar="PATH=V1,V2,...",
              help="A scenario parameter by dotted path and the values to sweep, e.g. desk.staff=3,5,7 "
                   "(repeatable: the grid is the cartesian product).")
@click.option("--rules", "rules", multiple=True, type=_PATH,
              help="A rules directory to compare (repeatable; default: each scenario's own).")
@click.option("--replications", type=click.IntRange(1, 10000), default=5, show_default=True,
              help="Replications per cell, the same seeds in every cell (common random numbers).")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="First seed (default: each scenario's own).")
@click.option("--out", "out_dir", type=_OUT, default=Path("runs/sweep"), show_default=True,
              help="Results folder: new, empty, or a previous sweep's (then only missing cells are computed).")
@click.option("--executor", type=click.Choice(["local", "dask", "serial"]), default="local", show_default=True,
              help="local: a process pool on this machine; dask: a Dask cluster (--scheduler, or a local one).")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Processes (local) or local Dask workers (default: the number of CPUs).")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              help="The Dask scheduler's address (with --executor dask; default: start a local cluster).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def sweep(scenarios: tuple[Path, ...], sets: tuple[str, ...], rules: tuple[Path, ...], replications: int,
          seed: int | None, out_dir: Path, executor: str, workers: int | None, scheduler: str | None,
          quiet: bool) -> None:
    """Run the grid scenarios × --set values × rule sets, N replications per cell; write sweep.csv,
    sweep.parquet, sweep.html and the per-cell results (resumable)."""
    import os

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from sweeps.executors import ExecutorError, get_executor
    from sweeps.grid import SweepFolder, plan_sweep, run_sweep

    if scheduler is not None and executor != "dask":
        raise ExecutorError(t("plan.scheduler_needs_dask"))
    plan = plan_sweep(list(scenarios), list(sets), list(rules), replications, seed)
    SweepFolder.check(out_dir)  # refused before a cluster is started or reached
    n_workers = workers or os.cpu_count() or 1
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn(t("sweep.progress_fields")),
                        TimeRemainingColumn(), console=err.console, disable=quiet)
    with get_executor(executor, n_workers, scheduler) as ex:
        folder = SweepFolder(out_dir)
        err.print(t("sweep.start", cells=len(plan.cells), n=replications, where=ex.describe()))
        with progress:
            task = progress.add_task(t("sweep.task"), total=None, cells="…", rate="–")

            def on_progress(runs: int, runs_total: int, cells_done: int, cells_total: int) -> None:
                progress.update(task, completed=runs, total=runs_total, cells=f"{cells_done}/{cells_total}")
                speed = progress.tasks[0].speed
                progress.update(task, rate=f"{speed:.2f}" if speed else "–")

            results, computed = run_sweep(plan, ex, folder, on_progress)
    files = _write_sweep_tables(folder, plan, results)
    reused = plan.runs - computed
    out.print(t("sweep.done", cells=len(plan.cells), computed=computed)
              + (t("sweep.reused", n=reused, path=f"{out_dir}/cells") if reused else "")
              + t("sweep.results", path=f"{out_dir}/", files=", ".join(files)))



def _write_sweep_tables(folder: Any, plan: Any, results: Any) -> list[str]:
    from sweeps.grid import render_csv, table_rows, write_parquet
    from sweeps.messages import t as sweeps_t
    from sweeps.report import SIGNATURE, render_html

    rows = table_rows(plan, results)
    written = ["sweep.csv"]
    folder.write_text(Path("sweep.csv"), render_csv(plan, rows), head_contains(b"scenario,rules,", size=32))
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        err.print(t("sweep.no_parquet"))
    else:
        with folder.open_atomic(Path("sweep.parquet"), head_contains(b"PAR1", size=4)) as tmp:
            write_parquet(plan, rows, tmp)
        written.append("sweep.parquet")
    folder.write_text(Path("sweep.html"), render_html(plan, rows, sweeps_t("report.title", scenarios=", ".join(plan.scenario_labels))),
                      head_contains(SIGNATURE.encode(), size=512))
    written.append("sweep.html")
    return written


@app.command()
@click.option("--rules", type=_PATH, required=True, help="Rules directory the service runs.")
@click.option("--db", default=None, help="SQLAlchemy URL of the store (default: sqlite:///wenzheng-live.db).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--config", "config_file", type=_PATH, default=None,
              help="YAML or TOML settings (tokens, secrets, limits); WENZHENG_* variables override them.")
def serve(rules: Path, db: str | None, host: str, port: int, config_file: Path | None) -> None:
    """Run the policy as a live service: WeChat and Weibo callbacks in, decisions and deadlines stored (docs/live.md)."""
    import signal

    from engine.i18n import get_lang
    from live.messages import t as live_t

    try:
        import uvicorn

        from live.app import SERVER_LOG_CONFIG, create_app, listen_socket
    except ImportError as exc:
        raise UserError(live_t("serve.missing_extra", module=exc.name or exc)) from None
    from live.config import load_config

    config = load_config(config_file, db=db)
    # the address first: a port in use stops serve before the store is created or migrated
    with listen_socket(host, port) as sock:
        application = create_app(rules, config, lang=get_lang())
        service = application.state.service
        err.print(live_t("serve.start", rules=rules, db=service.db.url.render_as_string(hide_password=True),
                         host=host, port=sock.getsockname()[1]), soft_wrap=True)
        # no access log: a line per request costs more than the work of a post (docs/live.md, "Throughput");
        # uvicorn's English INFO lines replaced by ours (live.app.SERVER_LOG_CONFIG)
        server = _signalled_server()(uvicorn.Config(application, host=host, port=port, log_level="warning",
                                                    log_config=SERVER_LOG_CONFIG, access_log=False))
        bound = sock.getsockname()[1]  # (the socket is closed by the time serve.stopped is said)
        server.say = lambda key: err.print(live_t(key, host=host, port=bound), soft_wrap=True)
        server.run(sockets=[sock])
    # stopped gracefully by a signal: exit as every command does on it (130 SIGINT, 143 SIGTERM). uvicorn.Server
    # re-raises the signal itself once it has shut down (uvicorn.run would swallow it); this covers a SIGINT that
    # was ignored when serve started (a background job of a script), which uvicorn's re-raise leaves ignored
    if server.stopped_by == signal.SIGTERM:
        raise Terminated()
    if server.stopped_by is not None:
        raise KeyboardInterrupt()


def _signalled_server() -> Any:
    import uvicorn

    class SignalledServer(uvicorn.Server):
        """uvicorn's server, remembering the first signal that stopped it."""

        stopped_by: int | None = None
        say: Callable[[str], None] = staticmethod(lambda key: None)  # type: ignore[assignment]

        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                self.say("serve.ready")

        async def shutdown(self, sockets: Any = None) -> None:
            self.say("serve.stopping")
            await super().shutdown(sockets=sockets)
            self.say("serve.stopped")

        def handle_exit(self, sig: int, frame: Any) -> None:
            if self.stopped_by is None:
                self.stopped_by = sig
            super().handle_exit(sig, frame)

    return SignalledServer


class _Day(click.ParamType):
    """A calendar day YYYY-MM-DD; anything else is refused in the catalogue's words (not click's English)."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        import datetime as dt

        if isinstance(value, dt.date):
            return value
        text = str(value).strip()
        if len(text) == 10 and text[4] == text[7] == "-" and text.replace("-", "").isascii() \
                and text.replace("-", "").isdigit():
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                pass
        from live.messages import t as live_t

        self.fail(live_t("drive.bad_until", value=value), param, ctx)


@app.command()
@click.argument("scenario", type=_PATH)
@click.option("--target", required=True, help="URL of the running service (wenzheng serve), e.g. http://127.0.0.1:8000.")
@click.option("--config", "config_file", type=_PATH, default=None,
              help="The service's settings file: the secrets that sign posts and the desk's, supervisors' and units' "
                   "tokens (WENZHENG_* variables override it).")
@click.option("--speed", type=click.FloatRange(min=0, min_open=True), default=None,
              help="The clock speed the service must run at (its clock_speed); refused if it differs.")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Seed (default: the scenario's).")
@click.option("--until", type=_Day(), default=None,
              help="Send only what happens up to this simulated day (YYYY-MM-DD); the comparison is cut there too.")
@click.option("--json", "json_out", type=_OUT, default=None, help="Also write the result as JSON here (for CI).")
@click.option("--concurrency", type=click.IntRange(1, 256), default=16, show_default=True,
              help="Requests in flight at most.")
def drive(scenario: Path, target: str, config_file: Path | None, speed: float | None, seed: int | None,
          until: Any, json_out: Path | None, concurrency: int) -> int:
    """Send a scenario's posts, replies and statements to a running service in its accelerated time and compare
    its metrics with the simulator's (docs/live.md)."""
    import asyncio

    from engine.i18n import get_lang
    from live.messages import t as live_t

    try:
        import httpx  # noqa: F401

        from live.drive import build_timeline, format_report, report_json
        from live.drive import drive as run_drive
    except ImportError as exc:
        raise UserError(live_t("serve.missing_extra", module=exc.name or exc)) from None
    from live.config import load_config
    from live.drive import check_config, check_target

    check_target(target)  # before the simulation: a bad URL is refused at once
    config = load_config(config_file)
    if json_out is not None:
        check_output_file(json_out, _DRIVE_OWNED, option="--json")
    timeline = build_timeline(scenario, seed=seed, until=until)
    source = str(config_file) if config_file is not None else live_t("drive.no_config_file")
    check_config(timeline, config, source)  # every secret and token the timeline needs, before any request
    result = asyncio.run(run_drive(timeline, target, config, speed=speed, concurrency=concurrency, source=source,
                                   progress=lambda line: err.print(line, soft_wrap=True)))
    click.echo(format_report(timeline, result, lang=get_lang()))
    if json_out is not None:
        atomic_write_text(json_out, json.dumps(report_json(timeline, result), ensure_ascii=False, indent=2) + "\n",
                          _DRIVE_OWNED, option="--json")
    return EXIT_OK if result.ok else EXIT_PROBLEMS


_DRIVE_OWNED = head_contains(b'"kind": "wenzheng-drive"', size=64)


def main(argv: list[str] | None = None) -> int:
    import signal
    import threading

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _main(argv)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _requested_lang(argv: list[str] | None) -> str | None:
    """The ``--lang`` of the command line, for the messages printed after the command has ended (its error, a
    usage error click raised before it read ``--lang``); None when not given or not zh/en."""
    args = sys.argv[1:] if argv is None else argv
    for i, arg in enumerate(args):
        if arg == "--":
            break
        value = args[i + 1] if arg == "--lang" and i + 1 < len(args) else \
            arg.partition("=")[2] if arg.startswith("--lang=") else None
        if value in ("zh", "en"):
            return value
    return None


def _main(argv: list[str] | None) -> int:
    from engine.i18n import lang_scope

    # the command's --lang ends with the command; its error is printed after, in the same language
    with lang_scope(_requested_lang(argv)):
        return _run_app(argv)


def _run_app(argv: list[str] | None) -> int:
    try:
        rv = app.main(args=argv, standalone_mode=False, prog_name="wenzheng")
        return int(rv) if isinstance(rv, int) else EXIT_OK
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort as exc:
        return _stopped(exc.__cause__)
    except click.ClickException as exc:
        from .clickmsg import show_usage_error

        show_usage_error(exc)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        return _stopped(exc)
    except WenzhengError as exc:
        print(t("cli.error", message=exc), file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # the file system refused a path the user gave (too long, no permission, ...)
        name = str(exc.filename)[:300] if exc.filename is not None else ""
        from engine.messages import os_reason

        print(t("cli.error", message=f"{name + ': ' if name else ''}{os_reason(exc)}"), file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        stop = _interrupt_behind(exc)
        if stop is not None:  # Ctrl-C inside a C extension's import surfaces as "ImportError: initialization failed"
            return _stopped(stop)
        traceback.print_exc()
        print(t("cli.internal_error"), file=sys.stderr)
        return EXIT_BUG


def _stopped(cause: BaseException | None) -> int:
    """Say how the run was stopped and give its exit code: SIGTERM (``Terminated``) 143, Ctrl-C 130."""
    terminated = isinstance(cause, Terminated)
    err.print(t("cli.terminated" if terminated else "cli.interrupted"))
    return EXIT_TERMINATED if terminated else EXIT_INTERRUPT


def _interrupt_behind(exc: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C or SIGTERM an exception was raised because of (its ``__cause__``/``__context__`` chain), if any:
    a signal that lands while Python initialises a C extension module comes out as that import's ImportError."""
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        if isinstance(link, KeyboardInterrupt):
            return link
        seen.add(id(link))
        link = link.__cause__ or link.__context__
    return None
