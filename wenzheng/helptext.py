"""The command line's help in Chinese (the default) and English: commands, options, arguments and click's words.

The English help stays where it is written, in the commands' docstrings and the option decorators of
``wenzheng/cli.py``; this module holds the Chinese beside it, keyed by command path and parameter:

    "run"              the command ``wenzheng run`` (its docstring)
    "baseline.update"  a sub-command
    "run.--seed"       an option, by its first long name
    "run.SCENARIO"     an argument, by its name in capitals
    "--help"           an option every command has (looked up when the command has no entry of its own)

Each value is ``(Chinese, English or None)``; None keeps the English of the decorator or docstring, a text
gives English help to a parameter whose decorator has none.  The help is picked when it is rendered
(``wenzheng.cli._Command`` / ``_Group`` call the functions below), in the language of ``--lang`` wherever it is
written on the command line (before or after ``--help``), else ``WENZHENG_LANG``, else Chinese.  English help
is click's own rendering, unchanged; Chinese help uses the same layout with click's words (Usage, Options,
Commands, [default: …], [required]) in Chinese.  ``tests/test_help_zh.py`` walks every command and parameter
and fails when one has no Chinese here, so a new option cannot be added without one.
"""

from __future__ import annotations

import copy
import inspect
import re
from collections.abc import Iterator
from contextlib import contextmanager

import click

from engine.i18n import display_width, get_lang

from .messages import t

__all__ = ["HELP", "command_key", "param_key", "help_entry", "iter_help_keys", "local_help_text",
           "local_param_help", "format_usage", "format_help_text", "format_arguments", "format_options",
           "format_commands", "short_help", "requested_lang"]

_SET = ("按点分路径设定一项情景输入，如 desk.staff=3 或 units.default.no_reply=0.1（可重复；按情景模式检查；"
        "见 docs/sweeps.md）。", None)
_FORCE = ("即使已有文件不是 wenzheng 写的也替换它（只替换文件，从不替换文件夹）。", None)
_QUIET = ("不显示进度条。", None)
_SEED_FIRST = ("第一个种子（默认：情景文件中的）。", None)
_RULES_OVERRIDE = ("规则文件夹（替代情景文件中指定的）。", None)
_FORMAT = ("输出格式。", "Output format.")
_WORKERS = ("并行进程数。", "Processes.")
_BASELINE_DIR = ("基线文件所在的文件夹。", "Folder of the baseline files.")
_ONLY = ("只处理这些基线（不带扩展名的文件名）。", None)
_JUNIT = ("把 JUnit XML 写到这里。", None)
_SCENARIO_ARG = ("情景文件（YAML）。", "The scenario file (YAML).")
_RUN_DIR_ARG = ("一次运行的结果文件夹（wenzheng run --out 写出的）。", "A run's results folder (written by wenzheng run --out).")
_RULES_ARG = ("规则文件夹（默认 rules）。", "The rules directory (default rules).")

#: key → (Chinese, English or None); see the module docstring
HELP: dict[str, tuple[str, str | None]] = {
    # options every command has
    "--help": ("显示本帮助并退出。", None),
    "--lang": ("输出语言：zh（默认）或 en；也可用环境变量 WENZHENG_LANG。", None),
    "--version": ("显示版本并退出。", None),
    # the program
    "": ("问政 wenzheng：处理网民网上投诉的政策引擎与仿真器。", None),
    # run
    "run": ("按情景的政策运行一个情景；写出 metrics.json 和事件日志，并打印摘要。", None),
    "run.SCENARIO": _SCENARIO_ARG,
    "run.--rules": _RULES_OVERRIDE,
    "run.--seed": ("种子（默认：情景文件中的）。", None),
    "run.--out": ("结果文件夹（默认 runs/<情景名>）：新的、空的，或 wenzheng 以前写的结果。", None),
    "run.--replications": ("独立重复次数（种子依次为 seed、seed+1、……）。", None),
    "run.--workers": ("运行各次重复的进程数（默认：可用的 CPU 数，每次重复至多一个）。单次运行在有第二个 CPU 时用两个"
                      "辅助进程：一个预先模拟帖子流量和值班台，一个绘制报告图表，结果完全相同；--workers 1 只用一个进程。", None),
    "run.--resident-forms": ("每次运行的内存预算，以未办结工单计（默认 36000，约 180 MB）：超出时工单暂存到磁盘上"
                             "（--out 的暂存文件夹中一个没有名字的文件），到下一个计时器之前再读回；暂存的工单"
                             "（每件约 1/14 件）和等待写入的事件日志行（每行约 1/16 件）也计入预算。"
                             "0：全部留在内存。结果完全相同。", None),
    "run.--quiet": _QUIET,
    "run.--set": _SET,
    # compare
    "compare": ("在共同随机数上比较政策 A/B：成对的指标差异，以及每个受影响的案件。", None),
    "compare.SCENARIO": _SCENARIO_ARG,
    "compare.--baseline": ("规则文件夹 A（现行政策）。", None),
    "compare.--candidate": ("规则文件夹 B（拟议的修改）。", None),
    "compare.--replications": ("重复次数（两种政策用同一组种子）。", "Replications (the same seeds for both policies)."),
    "compare.--workers": _WORKERS,
    "compare.--seed": _SEED_FIRST,
    "compare.--out": ("写出 comparison.json 和 impact.csv 的文件夹：新的、空的，或 wenzheng 以前写的结果。", None),
    "compare.--limit": ("打印多少个受影响的案件（加 --out 时全部写入文件）。", None),
    "compare.--format": _FORMAT,
    "compare.--all-metrics": ("显示全部指标，而不只是关键指标和有差异的指标。", None),
    "compare.--quiet": _QUIET,
    "compare.--set": _SET,
    # check and baseline
    "check": ("CI 门禁：重跑每个有基线的情景，逐项检验指标是否不劣于基线。\n\n"
              "全部通过退出码 0，有退步 1，输入不可用 2。", None),
    "check.--baseline-dir": _BASELINE_DIR,
    "check.--rules": ("要检查的规则（默认：各情景自己的）。", None),
    "check.--only": _ONLY,
    "check.--workers": _WORKERS,
    "check.--junit": _JUNIT,
    "check.--markdown": ("把 Markdown 摘要写到这里（用于 PR 评论）。", None),
    "check.--format": _FORMAT,
    "check.--force": _FORCE,
    "baseline": ("管理 CI 门禁的基线文件。", None),
    "baseline.update": ("重跑有基线的情景，改写其观测值，并说明哪些有变化。", None),
    "baseline.update.--baseline-dir": _BASELINE_DIR,
    "baseline.update.--rules": ("要记录的规则（默认：各情景自己的）。", None),
    "baseline.update.--only": _ONLY,
    "baseline.update.--workers": _WORKERS,
    # export and report
    "export": ("导出一次运行的事件日志，供流程挖掘工具（pm4py、ProM、Disco）使用。", None),
    "export.RUN_DIR": _RUN_DIR_ARG,
    "export.--format": _FORMAT,
    "export.--out": ("输出文件（默认 RUN_DIR/events.pm.csv、events.xes 或 events.parquet）。", None),
    "export.--steps-only": ("只导出五个环节（收集整理 上报通报 调查办理 督办落实 反馈回复）。", None),
    "export.--replication": ("多次重复的运行：只导出第 N 次重复（文件夹 RUN_DIR/00N）（默认：全部重复，"
                             "另加 replication 列）。", None),
    "export.--force": _FORCE,
    "report": ("给区领导的可打印季度报告：每季度一页 A4 横版。", None),
    "report.RUN_DIR": _RUN_DIR_ARG,
    "report.--quarter": ("只出这一季度，如 2014Q3（默认：运行期内每个季度各一页）。", None),
    "report.--format": _FORMAT,
    "report.--out": ("输出文件（默认 RUN_DIR/quarterly-report[-季度].pdf 或 .html）。", None),
    "report.--force": _FORCE,
    # the designer's tools
    "deadline": ("按政策的工作日历打印一个时限的截止时间。", None),
    "deadline.--from": ("起点，ISO 8601 格式并带时区偏移，如 2014-09-30T16:00+08:00。", None),
    "deadline.--within": ("时长，如「5 working days」或「2 hours」。", None),
    "deadline.--rules": ("使用其日历的规则文件夹。", None),
    "validate": ("检查规则文件夹是否为有效政策且 lint 没有发现错误（退出码 0），否则说明原因（退出码 2）。", None),
    "validate.RULES": _RULES_ARG,
    "lint": ("报告规则文件夹中的所有问题：无问题退出码 0，发现问题 1，输入不可用 2。", None),
    "lint.RULES": _RULES_ARG,
    "lint.--scenario": ("另外检查日历是否覆盖该情景的时段（可重复）。默认：规则文件夹旁 scenarios/*.yaml 中"
                        "使用这些规则的情景。", None),
    "lint.--format": _FORMAT,
    "serve": ("把策略作为在线服务运行：接收微信和微博回调，存储决定与时限（见 docs/live.md）。", None),
    "serve.--rules": ("服务运行的规则文件夹。", None),
    "serve.--db": ("存储的 SQLAlchemy 地址（默认：sqlite:///wenzheng-live.db）。", None),
    "serve.--host": ("监听地址。", "Address to listen on."),
    "serve.--port": ("监听端口。", "Port to listen on."),
    "serve.--config": ("YAML 或 TOML 设置文件（令牌、密钥、限值）；WENZHENG_* 环境变量优先。", None),
    "drive": ("按服务的加速时钟，把情景中的帖子、答复和表态通过 HTTP 发送给运行中的服务，并把服务的指标与模拟器的比较（见 docs/live.md）。",
              None),
    "drive.SCENARIO": _SCENARIO_ARG,
    "drive.--target": ("运行中的服务（wenzheng serve）的地址，如 http://127.0.0.1:8000。", None),
    "drive.--config": ("服务的设置文件：为帖子签名的密钥，以及值班台、督查和各单位的令牌（WENZHENG_* 环境变量优先）。", None),
    "drive.--speed": ("服务应有的时钟倍速（其 clock_speed）；不同则拒绝运行。", None),
    "drive.--seed": ("随机种子（默认：情景自己的）。", None),
    "drive.--until": ("只发送到这一模拟日（YYYY-MM-DD）为止发生的事；比较也截止于此。", None),
    "drive.--json": ("另把结果以 JSON 写到这里（供 CI 使用）。", None),
    "drive.--concurrency": ("同时进行的请求数上限。", None),
    "explain": ("解释对一个帖子的每项决定（以及其案件后来的事件）。\n\n"
                "SOURCE 是 YAML/JSON 文件，或用 - 表示标准输入，内容为一个帖子（text、place、at、channel、reposts）"
                "或一个案件（{post: ..., events: [...]}）。也可以用 --text/--place/--at 直接给出帖子。", None),
    "explain.SOURCE": ("帖子或案件的 YAML/JSON 文件，或 - 表示标准输入。",
                       "A post's or case's YAML/JSON file, or - for standard input."),
    "explain.--rules": ("规则文件夹。", None),
    "explain.--text": ("帖子正文（代替文件）。", None),
    "explain.--place": ("帖子所说的地点（与 --text 一起用）。", None),
    "explain.--channel": ("帖子来自的平台。", "The platform the post comes from."),
    "explain.--reposts": ("转发数。", "Reposts."),
    "explain.--at": ("反馈单发出的时间，ISO 8601 格式并带时区偏移（与 --text 一起用）。", None),
    "explain.--format": _FORMAT,
    "test": ("运行政策的测试用例（RULES/tests/*.yaml）并报告规则覆盖率。", None),
    "test.RULES": _RULES_ARG,
    "test.--tests": ("测试文件夹（默认 RULES/tests）。", None),
    "test.--coverage-min": ("规则覆盖率（百分比）低于此值时判为失败。", None),
    "test.--junit": _JUNIT,
    "test.--verbose": ("也列出通过的用例。", None),
    "test.--force": _FORCE,
    "schema": ("写出每种规则文件和情景文件的 JSON Schema（供编辑器使用）。", None),
    "schema.--out": ("存放 *.schema.json 的文件夹（不存在则创建；其中其他文件不动）。", None),
    "schema.--force": _FORCE,
    "bench": ("测量引擎每次派单决定的微秒数、情景吞吐量和内存峰值，以及命令行启动时间。", None),
    "bench.--rules": ("用于派单测量的规则文件夹。", None),
    "bench.--scenario": ("要运行的情景（可重复；默认 scenarios/changping-2014.yaml、megacity-day.yaml 和 "
                         "megacity-week.yaml，加 --quick 时只用第一个）。", None),
    "bench.--repeat": ("每个数字测量几次，报告中位数  [默认：3，加 --quick 时为 1]", None),
    "bench.--quick": ("只跑 changping-2014（除非给了 --scenario），测一次：冒烟测试。", None),
    "bench.--events": ("每轮计时的派单决定数。", None),
    "bench.--json": ("机器可读的输出（键见 docs/benchmarks.md）。", None),
    "bench.--live": ("改测在线服务的受理能力：启动一个 wenzheng serve（新的 SQLite 库），按 --rate 发送签名的帖子，"
                     "报告持续受理速率与 p50/p99 延迟。", None),
    "bench.--rate": ("--live 时的发送速率，帖/秒（开环：不等前一帖的答复）。", None),
    "bench.--posts": ("--live 时计时发送的帖子数。", None),
    "bench.--db": ("--live 时用于测量的空库（SQLAlchemy URL，如 PostgreSQL）；默认新建一个 SQLite 文件。", None),
    # sensitivity, plan, sweep
    "sensitivity": ("逐一敏感性分析：答复率、按时答复率和 2 小时表态率对情景输入的敏感程度。", None),
    "sensitivity.SCENARIO": _SCENARIO_ARG,
    "sensitivity.--vary": ("按点分路径给出一个情景参数及其范围，如 units.default.no_reply=0..0.2"
                           "（可重复；每次只变动一个，其余保持情景中的值）。", None),
    "sensitivity.--points": ("每个参数取几个值，从 LO 到 HI 等距。", None),
    "sensitivity.--replications": ("每个值的重复次数，各值用同一组种子（共同随机数）。", None),
    "sensitivity.--workers": _WORKERS,
    "sensitivity.--seed": _SEED_FIRST,
    "sensitivity.--rules": _RULES_OVERRIDE,
    "sensitivity.--format": _FORMAT,
    "sensitivity.--out": ("把结果写到这里，而不是标准输出。", None),
    "sensitivity.--quiet": _QUIET,
    "sensitivity.--set": _SET,
    "sensitivity.--force": _FORCE,
    "plan": ("求一个参数满足全部目标（在给定置信度下）的最小（或最大）值。\n\n"
             "有答案退出码 0；范围内没有值满足目标（或只是不确定地满足）1；输入不可用 2。"
             "用二分查找，假定目标的指标随该参数单调变化。", None),
    "plan.SCENARIO": _SCENARIO_ARG,
    "plan.--vary": ("要规划的参数及其范围，如 desk.staff=1..7。", None),
    "plan.--target": ("每个答案都必须满足的目标，如 \"statement_2h_rate >= 0.95\"（OP：>=、<=、>、<；"
                      "可重复：须全部满足）。", None),
    "plan.--confidence": ("每个单侧界的置信度。", None),
    "plan.--minimize": ("求满足目标的最小值，或最大值。", None),
    "plan.--step": ("所试各值的间隔（整数参数默认 1；其他参数必须给出）。", None),
    "plan.--replications-start": ("每个所试值在追加之前的重复次数。", None),
    "plan.--max-replications": ("每个值最多的重复次数：结论不确定时从起始次数逐次加倍。", None),
    "plan.--seed": _SEED_FIRST,
    "plan.--rules": _RULES_OVERRIDE,
    "plan.--executor": ("在哪里运行：本机进程池，或 Dask 集群（--scheduler）。", None),
    "plan.--scheduler": ("Dask 调度器地址，如 tcp://host:8786。", None),
    "plan.--workers": ("进程数（本机执行器）。", None),
    "plan.--format": _FORMAT,
    "plan.--quiet": ("不显示进度消息。", None),
    "plan.--set": _SET,
    "sweep": ("运行网格：情景 × --set 的取值 × 规则集，每格 N 次重复；写出 sweep.csv、sweep.parquet、"
              "sweep.html 和每格的结果（可续跑）。", None),
    "sweep.SCENARIOS": ("情景文件（YAML），一个或多个。", "Scenario files (YAML), one or more."),
    "sweep.--set": ("按点分路径给出一个情景参数及要扫描的取值，如 desk.staff=3,5,7（可重复：网格为各项的笛卡儿积）。",
                    None),
    "sweep.--rules": ("要比较的规则文件夹（可重复；默认：各情景自己的）。", None),
    "sweep.--replications": ("每格的重复次数，各格用同一组种子（共同随机数）。", None),
    "sweep.--seed": ("第一个种子（默认：各情景自己的）。", None),
    "sweep.--out": ("结果文件夹：新的、空的，或以前一次扫描的（则只计算缺少的格）。", None),
    "sweep.--executor": ("local：本机进程池；dask：Dask 集群（--scheduler，或在本机启动一个）；serial：在本进程中逐个运行。",
                         None),
    "sweep.--workers": ("进程数（local）或本机 Dask 工作进程数（默认：CPU 数）。", None),
    "sweep.--scheduler": ("Dask 调度器地址（与 --executor dask 一起用；默认：在本机启动一个集群）。", None),
    "sweep.--quiet": _QUIET,
}


# -- keys ------------------------------------------------------------------------------------------------------


def command_key(ctx: click.Context) -> str:
    """The catalogue key of the command ``ctx`` runs: its names below the program, joined by dots."""
    names: list[str] = []
    while ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return ".".join(reversed(names))


def param_key(param: click.Parameter) -> str:
    """An option by its first long name (``--seed``), an argument by its name in capitals (``SCENARIO``)."""
    if isinstance(param, click.Argument):
        return (param.name or "").upper()
    longs = [o for o in param.opts if o.startswith("--")]
    return longs[0] if longs else param.opts[0]


def help_entry(command: str, param: click.Parameter | None = None) -> tuple[str, str | None] | None:
    """The catalogue entry of a command (``param`` None) or of one of its parameters; None when there is none."""
    if param is None:
        return HELP.get(command)
    key = param_key(param)
    return (HELP.get(f"{command}.{key}") if command else None) or HELP.get(key)


def iter_help_keys(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command, click.Parameter | None]]:
    """Every (command key, command, parameter or None) of the command line, for the completeness test."""
    yield prefix, group, None
    for param in group.params:
        yield prefix, group, param
    for name, cmd in sorted(group.commands.items()):
        key = f"{prefix}.{name}" if prefix else name
        if isinstance(cmd, click.Group):
            yield from iter_help_keys(cmd, key)
            continue
        yield key, cmd, None
        for param in cmd.params:
            yield key, cmd, param


# -- the texts in the current language -------------------------------------------------------------------------


def _zh() -> bool:
    return get_lang() != "en"


def local_help_text(cmd: click.Command, key: str) -> str | None:
    """The command's long help in the current language (None: it has none)."""
    entry = help_entry(key)
    if _zh() and entry is not None:
        return entry[0]
    if cmd.help is not None:
        return cmd.help
    return entry[1] if entry is not None else None


def local_param_help(param: click.Parameter, key: str) -> str | None:
    """A parameter's help in the current language (None: it has none)."""
    entry = help_entry(key, param)
    own = getattr(param, "help", None)
    if _zh() and entry is not None:
        return entry[0]
    if own is not None:
        return str(own)
    return entry[1] if entry is not None else None


def _localised(param: click.Parameter, key: str) -> click.Parameter:
    """A copy of ``param`` carrying its help in the current language (the command's own object is not touched)."""
    text = local_param_help(param, key)
    if text == getattr(param, "help", None):
        return param
    clone = copy.copy(param)
    clone.help = text  # type: ignore[attr-defined]
    return clone


_EXTRA = re.compile(r"^(?P<help>.*?)\s*\[(?P<extra>[^\[\]]*)\]$", re.S)


def _chinese_extra(extra: str) -> str:
    """click's "[default: 5; required; 1<=x<=10000]" in Chinese."""
    items = []
    for item in extra.split("; "):
        if item.startswith("default: "):
            items.append(t("help.default", value=item[len("default: "):]))
        elif item == "required":
            items.append(t("help.required"))
        elif item.startswith("env var: "):
            items.append(t("help.env_var", value=item[len("env var: "):]))
        else:
            items.append(item)
    return "；".join(items)


def _option_record(param: click.Parameter, ctx: click.Context, key: str) -> tuple[str, str] | None:
    """(names, help) of an option's row in the current language, with click's [default: …] words translated."""
    if not _zh():
        return _localised(param, key).get_help_record(ctx)
    bare = copy.copy(param)
    bare.help = None  # type: ignore[attr-defined]
    record = bare.get_help_record(ctx)  # the names and click's extras alone
    if record is None:
        return None
    names, extra = record
    text = local_param_help(param, key) or ""
    m = _EXTRA.match(extra)
    if m is not None and not m["help"]:
        text = f"{text}  [{_chinese_extra(m['extra'])}]" if text else f"[{_chinese_extra(m['extra'])}]"
    return names, text


# -- the formatter's sections ------------------------------------------------------------------------------------


@contextmanager
def _section(formatter: click.HelpFormatter, heading: str) -> Iterator[None]:
    """click's ``formatter.section``, with a full-width colon after a Chinese heading."""
    if not _zh():
        with formatter.section(heading):
            yield
        return
    formatter.write_paragraph()
    formatter.write(f"{'':>{formatter.current_indent}}{heading}：\n")
    with formatter.indentation():
        yield


def format_usage(cmd: click.Command, ctx: click.Context, formatter: click.HelpFormatter) -> None:
    pieces = cmd.collect_usage_pieces(ctx)
    formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=t("help.usage"))


def format_help_text(cmd: click.Command, ctx: click.Context, formatter: click.HelpFormatter) -> None:
    text = local_help_text(cmd, command_key(ctx))
    text = inspect.cleandoc(text).partition("\f")[0] if text else ""
    if text:
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(text)


def format_arguments(cmd: click.Command, ctx: click.Context, formatter: click.HelpFormatter) -> None:
    """The arguments' section, when one of them has help (click ≥ 8.5 shows it; the Chinese always may)."""
    key = command_key(ctx)
    rows = [(p.make_metavar(ctx), local_param_help(p, key) or "") for p in cmd.get_params(ctx)
            if isinstance(p, click.Argument)]
    if any(text for _, text in rows):
        with _section(formatter, t("help.arguments")):
            formatter.write_dl(rows)


def format_options(cmd: click.Command, ctx: click.Context, formatter: click.HelpFormatter) -> None:
    key = command_key(ctx)
    rows = [rec for p in cmd.get_params(ctx) if not isinstance(p, click.Argument)
            for rec in [_option_record(p, ctx, key)] if rec is not None]
    if rows:
        with _section(formatter, t("help.options")):
            formatter.write_dl(rows)


def short_help(cmd: click.Command, key: str, limit: int = 45) -> str:
    """A command's line in its group's list: the first sentence of its help, cut to ``limit`` columns."""
    if not _zh() or help_entry(key) is None:
        return cmd.get_short_help_str(limit)
    text = (local_help_text(cmd, key) or "").strip().split("\n\n")[0].replace("\n", " ")
    first = re.split(r"(?<=[。；])", text, maxsplit=1)[0].rstrip("。；")
    if display_width(first) <= limit:
        return first
    out = ""
    for c in first:
        if display_width(out + c) > limit - 1:
            break
        out += c
    return out + "…"


def format_commands(group: click.Group, ctx: click.Context, formatter: click.HelpFormatter) -> None:
    prefix = command_key(ctx)
    commands = [(name, cmd) for name in group.list_commands(ctx)
                for cmd in [group.get_command(ctx, name)] if cmd is not None and not cmd.hidden]
    if not commands:
        return
    limit = formatter.width - 6 - max(len(name) for name, _ in commands)
    rows = [(name, short_help(cmd, f"{prefix}.{name}" if prefix else name, limit)) for name, cmd in commands]
    with _section(formatter, t("help.commands")):
        formatter.write_dl(rows)


def requested_lang(cmd: click.Command, ctx: click.Context, args: list[str]) -> str | None:
    """The ``--lang`` this command's own arguments give, read before click processes them: ``--help`` is eager
    like ``--lang``, and click runs eager options in the order they are written, so ``run --help --lang en``
    would print the help before ``--lang`` took effect.  None: not given, or the arguments do not parse (the
    real parse then reports why)."""
    if not any(isinstance(p, click.Option) and "--lang" in p.opts for p in cmd.get_params(ctx)):
        return None
    try:
        values, _, _ = cmd.make_parser(ctx).parse_args(args=list(args))
    except click.ClickException:
        return None
    value = values.get("lang")
    return value if value in ("zh", "en") else None

