"""The engine's part of the message catalogue (engine/i18n.py): problems in rule files, explanations, tests."""

from __future__ import annotations

from .i18n import Catalogue

t = Catalogue("engine", {
    # how a located problem is printed (engine.errors.Problem)
    "problem.at_key": ("（键：{key}）", " (at key: {key})"),
    "problem.rule": ("［规则 {rule}］", " [rule {rule}]"),
    "problem.did_you_mean": ("；是否想写「{suggestion}」？", "; did you mean '{suggestion}'?"),
    "severity.error": ("错误", "error"),
    "severity.warning": ("警告", "warning"),
    "list.more": ("等，另有 {n} 个", " and {n} more"),
    # --- validate, lint, test, explain, deadline, schema (problems in rule, test, case and post files) ---
    # events the engine refuses (engine/engine.py)
    "event.naive": ("事件时间必须带时区（如 +08:00）", "event timestamp must be timezone-aware"),
    "event.unknown_case": ("事件「{type}」指向不存在的案件「{case}」", "event '{type}' for unknown case '{case}'"),
    "event.case_open": ("案件「{case}」已经立案，不能重复收帖", "case '{case}' is already open"),
    "event.unknown_place": ("帖子 {post}：未知地点「{place}」（units.yaml 中的地点：{known}）",
                            "post {post}: unknown place '{place}' (places in units.yaml: {known})"),
    "event.reminder_late": ("规则 {rule}（{where}）：提醒（{remind_after}）在 {remind}，不早于时限（{within}）{due}",
                            "rule {rule} ({where}): reminder ({remind_after}) at {remind} is not before the "
                            "deadline ({within}) at {due}"),
    "event.second_reply": ("案件「{case}」已经答复过，不能再次答复", "case '{case}' already has a reply"),
    "event.no_deadline": ("案件「{case}」没有「{deadline}」时限", "case '{case}' has no '{deadline}' deadline"),
    # durations (engine/durations.py)
    "duration.not_wall_clock": ("「{duration}」按工作日历计算，不是自然时间",
                                "'{duration}' is counted on the working-day calendar, not the wall clock"),
    "duration.not_text": ("时长应写成文字，如「5 个工作日」或「2 小时」，而不是 {value}",
                          "duration must be text like '5 working days' or '2 hours', got {value}"),
    "duration.too_long": ("时长「{text}…」格式不对：超过 {n} 个字符",
                          "malformed duration '{text}…': longer than {n} characters"),
    "duration.malformed": ("时长「{text}」格式不对：应为数字加单位，如「5 个工作日」「5 working days」或「2 小时」",
                           "malformed duration '{text}': expected a number and a unit, e.g. '5 working days' or "
                           "'2 hours'"),
    "duration.unknown_unit": ("时长「{text}」格式不对：未知单位「{unit}」（可用：分钟、小时、天、工作日，或 minutes、"
                              "hours、days、working days）",
                              "malformed duration '{text}': unknown unit '{unit}' (use minutes, hours, days or "
                              "working days)"),
    "duration.not_positive": ("时长「{text}」必须大于 0", "duration '{text}' must be positive"),
    "duration.too_large": ("时长「{text}」超过一年（最多 {limit} {unit}）",
                           "duration '{text}' is longer than one year (at most {limit} {unit})"),
    "duration.fraction": ("时长「{text}」：工作日必须是整数", "duration '{text}': working days must be a whole number"),
    # the working-day calendar (engine/calendar.py)
    "calendar.no_data": ("工作日历没有 {year} 年的数据（已覆盖 {first}–{last} 年），无法计算这一年的时限"
                         "（新年份公布后请更新 chinesecalendar 包）",
                         "the working-day calendar has no data for the year {year} (covered: {first}–{last}); a "
                         "deadline there cannot be computed (update the chinesecalendar package when new years are "
                         "published)"),
    "calendar.naive": ("时间 {value} 没有时区：每个时间都必须带时区（如 +08:00）",
                       "naive datetime {value}: every timestamp must carry its timezone"),
    # rule-file shapes (engine/schema.py)
    "schema.routing_then": ("转办规则的 then 必须且只能写一项：「unit: 单位名」或「unit_of_place: true」",
                            "routing 'then' needs exactly one of 'unit: <unit id>' or 'unit_of_place: true'"),
    "schema.escalation_then": ("督办规则的 then 至少要写 remind、escalate、deduct、accountability 中的一项",
                               "escalation 'then' needs at least one of remind, escalate, deduct, accountability"),
    "schema.clock_minutes": ("「{value}」不是时刻：分钟应为 00–59", "'{value}' is not a clock time: minutes run 00–59"),
    "schema.clock_24": ("「24:00」不是时刻（应为 00:00–23:59）：午夜写 00:00（班次结束写次日 00:00），一天结束写 23:59",
                        "'24:00' is not a clock time (00:00–23:59): write 00:00 for midnight (for a shift end: the "
                        "next day's 00:00), or 23:59 for the end of the day"),
    "schema.clock_hours": ("「{value}」不是时刻：小时应为 00–23", "'{value}' is not a clock time: hours run 00–23"),
    "schema.timezone": ("未知时区「{value}」（如 Asia/Shanghai）", "unknown timezone '{value}' (e.g. Asia/Shanghai)"),
    # reading YAML files (engine/yamlsrc.py)
    "yaml.syntax": ("YAML 语法错误：{what}", "YAML syntax error: {what}"),
    "yaml.fullwidth_colon": ("YAML 语法错误：「{key}」后面是全角冒号「：」，应为半角冒号「:」（冒号后再加一个空格）",
                             "YAML syntax error: '{key}' is followed by a full-width colon '：'; YAML needs an "
                             "ASCII colon ':' (and a space after it)"),
    "yaml.tab": ("YAML 语法错误：这里有制表符（Tab）；YAML 只能用空格缩进",
                 "YAML syntax error: tab character: YAML indents with spaces"),
    "limit.nodes": ("文档展开后超过 {n} 个值（上限 max_nodes = {n}；别名按其所指内容的副本计数）",
                    "the document expands to more than {n} values (limit max_nodes = {n}; an alias counts as a "
                    "copy of what it refers to)"),
    "limit.tag": ("不允许使用 YAML 标签「{tag}」（只允许标准标签 !!str、!!int、!!float、!!bool、!!null、!!timestamp、"
                  "!!seq、!!map）",
                  "YAML tag '{tag}' is not allowed (only the standard tags !!str, !!int, !!float, !!bool, !!null, "
                  "!!timestamp, !!seq, !!map)"),
    "limit.string": ("文字值长 {n} 个字符（上限 max_string = {limit}）",
                     "a text value of {n} characters (limit max_string = {limit})"),
    "limit.depth": ("嵌套超过 {n} 层（上限 max_depth = {n}）", "nested more than {n} levels deep (limit max_depth = {n})"),
    "limit.aliases": ("别名超过 {n} 个（上限 max_aliases = {n}）", "more than {n} aliases (limit max_aliases = {n})"),
    "limit.recursive": ("别名 *{anchor} 指向包含它自身的节点（递归结构）",
                        "alias *{anchor} refers to a node that contains it (a recursive structure)"),
    "limit.alias_depth": ("别名 *{anchor} 使文档嵌套超过 {n} 层（上限 max_depth = {n}）",
                          "alias *{anchor} nests the document more than {n} levels deep (limit max_depth = {n})"),
    "limit.bytes": ("文件超过 {n} 字节（上限 max_bytes = {n}）：在此处超出",
                    "larger than {n} bytes (limit max_bytes = {n}): the limit is crossed here"),
    "io.not_utf8_at": ("不是 UTF-8 文本（{reason}，字节 {byte}）；请把文件存为 UTF-8",
                       "not UTF-8 text ({reason}, byte {byte}); save the file as UTF-8"),
    "io.not_utf8": ("不是 UTF-8 文本（{reason}）", "not UTF-8 text ({reason})"),
    "io.not_found": ("文件不存在", "file not found"),
    "io.directory": ("这是文件夹，不是文件", "a directory, not a file"),
    "io.cannot_read": ("无法读取文件：{reason}", "cannot read file: {reason}"),
    "key.unknown": ("未知的键「{key}」", "unknown key '{key}'"),
    "key.allowed": ("（可用的键：{allowed}）", " (allowed: {allowed})"),
    "key.missing": ("缺少必填的键「{key}」", "missing required key '{key}'"),
    # rules directories and cross-file checks (engine/policy.py)
    "policy.unknown_unit": ("units.yaml 中没有单位「{unit}」", "unknown unit '{unit}'"),
    "policy.known_units": ("；已知{kind}：{units}", ": units.yaml has no such unit; known {kind}: {units}"),
    "unit.streets": ("街道", "streets"),
    "unit.towns": ("镇（地区）", "towns"),
    "unit.bureaus": ("委办局", "bureaus"),
    "unit.offices": ("督办机构", "offices"),
    "unit.units": ("单位", "units"),
    "policy.unknown_category": ("未知类别「{value}」（classification.yaml 的 categories 中没有）",
                                "unknown category '{value}'"),
    "policy.unknown_place": ("未知地点「{value}」（units.yaml 的 places 中没有）", "unknown place '{value}'"),
    "policy.escalate_target": ("督办只能报给督办机构（office）；「{unit}」的类型是 {type}",
                               "escalation goes to a supervising office; '{unit}' is a {type}"),
    "policy.duplicate_unit": ("单位「{unit}」重复", "duplicate unit '{unit}'"),
    "policy.duplicate_place": ("地点「{place}」已属于 {unit}", "place '{place}' already belongs to {unit}"),
    "policy.missing_hit_policy": ("缺少必填的键「hit_policy」：每个 {kind} 规则表都要写明命中的规则如何组合（first、priority、"
                                  "unique、collect 之一）；以前不写时表示「{old}」，加上「hit_policy: {old}」即可保持原行为",
                                  "missing required key 'hit_policy': every {kind} table states how its matching "
                                  "rules combine (one of: first, priority, unique, collect); files without it used "
                                  "to mean '{old}', so add 'hit_policy: {old}' to keep that behaviour"),
    "policy.unique_clash": ("{file} 的命中策略是 unique（唯一命中），但同一案件命中了多条规则：{ids}",
                            "hit policy 'unique' of {file}: several rules match the same case: {ids}"),
    "policy.cannot_read_dir": ("无法读取规则目录：{reason}", "cannot read rules directory: {reason}"),
    "policy.dir_not_found": ("规则目录不存在", "rules directory not found"),
    "policy.no_files": ("目录中没有规则文件（*.yaml）", "no rule files (*.yaml) in directory"),
    "policy.missing_kind": ("策略中缺少 kind 为「{kind}」的规则文件", "no rule file of kind '{kind}' in the policy"),
    "policy.not_mapping": ("规则文件必须是带「kind」键的映射", "a rule file must be a mapping with a 'kind' key"),
    "policy.unknown_kind": ("未知的规则文件类型「{kind}」", "unknown rule-file kind '{kind}'"),
    "policy.kind_not_text_list": ("「kind」必须是文字，不能是列表", "'kind' must be text, not a list"),
    "policy.kind_not_text_map": ("「kind」必须是文字，不能是映射", "'kind' must be text, not a mapping"),

    "policy.one_of": ("（应为以下之一：{allowed}）", " (one of: {allowed})"),
    "policy.second_kind": ("第二个 kind 为「{kind}」的规则文件（第一个：{first}）",
                           "second rule file of kind '{kind}' (first: {first})"),
    "policy.duplicate_id": ("规则 id「{id}」重复（第一次出现在 {first}）", "duplicate rule id '{id}' (first at {first})"),
    "policy.too_many_rules": ("一个规则表中的规则太多（durable_rules 的优先级是 16 位）",
                              "too many rules in one table (durable_rules priorities are 16-bit)"),
    "policy.calendar_year": ("{date}：工作日历没有 {year} 年的数据（已覆盖 {first}–{last} 年）",
                             "{date}: the working-day calendar has no data for the year {year} (covered: "
                             "{first}–{last})"),
    "policy.calendar_both": ("{date} 同时列为节假日和工作日（另见第 {line} 行）",
                             "{date} is listed both a holiday and a workday (also at line {line})"),
    "policy.calendar_twice": ("{date} 在 {key} 中列了两次（另见第 {line} 行）",
                              "{date} is listed twice in {key} (also at line {line})"),
    "policy.reminder_not_before": ("提醒（{remind}）不早于时限（{within}）",
                                   "reminder ({remind}) is not before the deadline ({within})"),
    "policy.every_case": ("对所有案件", "for every case"),
    "policy.some_cases": ("对部分案件", "for some cases"),
    "policy.reminder_clash": ("提醒（{remind}）{when}不早于时限（{within}）：{start} 立案的案件 {due} 到期，却要到 "
                              "{remind_at} 才提醒；请缩短提醒时间，或与时限使用同一单位",
                              "reminder ({remind}) comes at or after the deadline ({within}) {when}: a case opened "
                              "{start} is due {due} but would be reminded {remind_at}; make the reminder shorter, "
                              "or use the deadline's unit"),
    # a value of the wrong kind (pydantic's error types, engine/yamlsrc.py)

    "value.number": ("「{value}」不是数字；应写数字，如 7 或 0.5", "'{value}' is not a number; write a number, e.g. 7 or 0.5"),
    "value.integer": ("「{value}」不是整数；应写整数，如 7", "'{value}' is not a whole number; write an integer, e.g. 7"),
    "value.bool": ("「{value}」不是 true/false；应写 true 或 false", "'{value}' is not true/false; write true or false"),
    "value.text": ("「{value}」不是文字；应写文字（可加引号）", "'{value}' is not text; write text (quoted if need be)"),
    "value.one_of": ("「{value}」不是可用的取值；应为以下之一：{allowed}", "'{value}' is not one of the allowed values: {allowed}"),
    "value.gt": ("「{value}」太小；应大于 {bound}", "'{value}' is too small; it must be greater than {bound}"),
    "value.ge": ("「{value}」太小；应大于或等于 {bound}", "'{value}' is too small; it must be at least {bound}"),
    "value.lt": ("「{value}」太大；应小于 {bound}", "'{value}' is too large; it must be less than {bound}"),
    "value.le": ("「{value}」太大；应小于或等于 {bound}", "'{value}' is too large; it must be at most {bound}"),
    "value.datetime": ("「{value}」不是带时区的日期时间；应写如 2014-09-30T16:00+08:00",
                       "'{value}' is not a date and time with a UTC offset; write e.g. 2014-09-30T16:00+08:00"),
    "value.date": ("「{value}」不是有效日期；应写如 2014-10-01", "'{value}' is not a valid date; write e.g. 2014-10-01"),
    "value.time": ("「{value}」不是时刻；应写如 17:30", "'{value}' is not a clock time; write e.g. 17:30"),
    "value.list": ("「{value}」不是列表；应写列表，如 [a, b] 或每行一个「- 值」",
                   "'{value}' is not a list; write a list, e.g. [a, b] or one '- item' per line"),
    "value.mapping": ("「{value}」不是映射；应写「键: 值」", "'{value}' is not a mapping; write 'key: value' pairs"),
    "value.too_short": ("「{value}」太短；至少 {n} 个字符", "'{value}' is too short; at least {n} character(s)"),
    "value.too_long_text": ("「{value}」太长；最多 {n} 个字符", "'{value}' is too long; at most {n} characters"),
    "value.too_few": ("至少要有 {n} 项，现有 {actual} 项", "needs at least {n} item(s), has {actual}"),
    "value.too_many": ("最多 {n} 项，现有 {actual} 项", "at most {n} items, has {actual}"),
    "value.pattern": ("「{value}」格式不对（应符合 {pattern}）", "'{value}' has the wrong form (it must match {pattern})"),

})

