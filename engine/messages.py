"""The engine's part of the message catalogue (engine/i18n.py): problems in rule files, explanations, tests."""

from __future__ import annotations

from .i18n import Catalogue, get_lang

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
                         "（国务院公布新一年的放假安排后，在 calendar 规则文件的 years 中列出该年并逐日列出节假日和调休，"
                         "或更新 chinesecalendar 包）",
                         "the working-day calendar has no data for the year {year} (covered: {first}–{last}); a "
                         "deadline there cannot be computed (once the State Council publishes that year's holidays, "
                         "list the year under years in the calendar rule file with its holidays and workdays, or "
                         "update the chinesecalendar package)"),
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
    "yaml.cannot_read_value": ("无法读取值「{value}」：{error}", "cannot read value '{value}': {error}"),
    # the YAML parser's usual complaints in the user's words (engine/yamlsrc.py _COMPLAINTS)
    "yaml.unclosed_brace": ("这里开始的花括号「{open}」没有闭合：缺「{close}」，或两项之间缺逗号「,」",
                           "the '{open}' opened here is never closed: a '{close}' is missing, or a ',' between two items"),
    "yaml.unclosed_bracket": ("这里开始的方括号「{open}」没有闭合：缺「{close}」，或两项之间缺逗号「,」",
                             "the '{open}' opened here is never closed: a '{close}' is missing, or a ',' between two items"),
    "yaml.brace_item": ("花括号「{open} {close}」里的两项之间应有逗号「,」（或这里缺「{close}」）",
                       "two items inside '{open} {close}' need a ',' between them (or a '{close}' is missing here)"),
    "yaml.bracket_item": ("方括号「{open} {close}」里的两项之间应有逗号「,」（或这里缺「{close}」）",
                         "two items inside '{open} {close}' need a ',' between them (or a '{close}' is missing here)"),
    "yaml.unclosed_quote": ("这里开始的引号没有闭合：缺另一半引号",
                           "the quote opened here is never closed"),
    "yaml.indent": ("缩进不对：这一行与上面同一层的项应对齐（只用空格缩进）",
                   "wrong indentation: this line should line up with the items of its level above (spaces only)"),
    "yaml.colon_in_value": ("这里不能再有「: 」：值里含冒号时请用引号把整个值括起来",
                           "': ' cannot appear here: put the whole value in quotes when it contains a colon"),
    "yaml.missing_colon": ("这一行缺冒号「:」：键后面应写「: 」再写值",
                          "this line lacks a ':': write ': ' after the key, then the value"),
    "yaml.duplicate_key": ("键「{key}」在同一层里写了两次（每个键只能写一次）",
                          "key '{key}' is written twice at the same level (each key once)"),
    "yaml.undefined_alias": ("「*{name}」是未定义的别名：值以「*」开头时请用引号括起来",
                            "'*{name}' is an undefined alias: put a value that starts with '*' in quotes"),
    "yaml.bad_start": ("值不能以字符「{char}」开头：请用引号把整个值括起来",
                      "a value cannot start with '{char}': put the whole value in quotes"),

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
    "io.not_found_there": ("文件不存在；{folder} 中有：{names}", "file not found; {folder} holds: {names}"),
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
    "policy.dir_is_file": ("这是文件，不是规则文件夹（请给出放规则文件的文件夹，如 rules）",
                           "is a file, not a rules folder (give the folder holding the rule files, e.g. rules)"),
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
    "policy.calendar_year": ("{date}：工作日历没有 {year} 年的数据（已覆盖 {first}–{last} 年）；"
                             "新的一年须先列入 years（注明依据的通知）",
                             "{date}: the working-day calendar has no data for the year {year} (covered: "
                             "{first}–{last}); a new year must first be listed under years (with the notice it "
                             "follows)"),
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
    # lint's analyses (engine/lint.py)
    "lint.skip_all": ("所有分析（缺口、重叠、遮蔽、矛盾、日历）：这些分析需要 units 和 classification 文件，而 {names} 未能加载",
                      "every analysis (gaps, overlaps, shadowing, contradictions, calendar): they need the units and "
                      "classification files, and {names} did not load"),
    "lint.units_and_cls": ("units 和 classification", "units and classification"),
    "lint.file_not_loaded": ("{file} 未能加载", "{file} did not load"),
    "lint.rules_not_loaded": ("规则 {ids} 未能加载", "rule(s) {ids} did not load"),
    "lint.not_parsed": ("{files} 无法解析", "{files} could not be parsed"),
    "lint.skip_kind": ("{kind} 规则：所有分析（{why}）", "{kind} rules: every analysis ({why})"),
    "lint.skip_check": ("{kind} 规则：{check}（{why}）", "{kind} rules: {check} ({why})"),
    "lint.skip_calendar": ("日历：提醒和覆盖范围按法定日历检查，未计本地调整（{why}）",
                           "calendar: reminders and coverage were checked on the statutory calendar without local "
                           "overrides ({why})"),
    "lint.skip_window": ("{path}：未检查时段结束之后的日历窗口（deadlines 文件未完整加载：{why}）",
                         "{path}: the calendar window past the period's end (the deadlines file did not load "
                         "completely: {why})"),
    "lint.wrong_event": ("规则永远不会命中：{kind} 规则只在 {events} 时评估，而它要求{requires}",
                         "rule can never fire: {kind} rules are evaluated only on {events}, but it requires "
                         "{requires}"),
    "lint.contradiction": ("规则永远不会命中：条件互相矛盾：{conds}", "rule can never fire: contradicting conditions {conds}"),
    "lint.and": ("，且", " and "),
    "lint.rule_at": ("{id}（第 {line} 行）", "{id} (line {line})"),
    "lint.shadowed": ("规则永远不会命中：命中策略为「{hp}」，它能命中的每个案件都先被 {names} 取走",
                      "rule can never fire: under hit policy '{hp}' every case it matches is taken first by {names}"),
    "lint.keyword_in": ("「{k}」包含 {id}（第 {line} 行）的关键词「{k1}」", "'{k}' contains '{k1}' of {id} (line {line})"),
    "lint.keywords_shadowed": ("规则永远不会命中：命中策略为「{hp}」，它的每个关键词都包含前面某条其他条件相同的规则的关键词，"
                               "案件先被那条规则取走：{why}",
                               "rule can never fire: under hit policy '{hp}' each of its keywords contains a keyword "
                               "of an earlier rule with the same other conditions, which takes the case first: {why}"),
    "lint.keyword_shadowed": ("关键词 {words} 永远起不了作用：命中策略为「{hp}」，含有它们的正文也含有前面某条其他条件相同的规则的关键词：{why}",
                              "keyword(s) {words} can never decide: under hit policy '{hp}' a text containing them "
                              "also contains a keyword of an earlier rule with the same other conditions: {why}"),
    "lint.no_effect": ("规则永远不起作用：每个案件只有一个「{kind}」时限，由第一条命中的规则设置，而本规则能命中的每个案件都已由 "
                       "{names} 设置",
                       "rule never takes effect: a case gets one '{kind}' deadline, from the first rule that matches, "
                       "and every case this rule matches already has it from {names}"),
    "lint.same_reason": ("且扣分理由相同（「{reason}」）", "for the same reason '{reason}'"),
    "lint.no_reason": ("（没有理由区分这两项扣分）", "(no reason tells the charges apart)"),
    "lint.duplicate_deduction": ("与规则 {id}（第 {line} 行）在同一事件上扣分（命中策略「{hp}」）：两者都命中 {what}，单位被扣 "
                                 "{a} + {b} 分，{same}；请收窄其中一条规则，或者如果本意是累加，给每项扣分写上各自的理由",
                                 "deducts on the same event as rule {id} (line {line}) under hit policy '{hp}': both "
                                 "match {what}, so the unit is charged {a} + {b} points {same}; narrow one rule, or "
                                 "give each deduction its own reason if the charges are meant to add up"),
    "lint.calendar_days": ("「{within}」按自然日计算，到期日可能落在休息日（{start} 立案的案件 {due} 到期，当天是{reason}）；"
                           "按工作日计算请写「{n} working days」",
                           "'{within}' counts calendar days, so the due date can fall on a day off (a case opened "
                           "{start} is due {due}, {reason}); write '{n} working days' to count working days"),
    "lint.every_case": ("所有案件", "every case"),
    "lint.overlap": ("与规则 {id}（第 {line} 行）重叠（命中策略「{hp}」）：两者都命中 {what}",
                     "overlaps rule {id} (line {line}) under hit policy '{hp}': both match {what}"),
    "lint.different_outcomes": ("，且结果不同", " with different outcomes"),
    "lint.any_place": ("所有地点", "any place"),
    "lint.routing_gap": ("转办缺口：类别「{cat}」在 {where} 没有承办单位",
                         "routing gap: category '{cat}' has no responsible unit in {where}"),
    "lint.unreachable_unit": ("单位「{unit}」收不到任何案件：没有转办规则指向它，它不负责任何按地点转办的地点，也没有升级规则"
                              "升级到它。请在 {routing} 中加一条转办规则（then: {{unit: {unit}}}）；若只由值班台手工"
                              "转办给它，请在它的声明里写 by_hand: true",
                              "unit '{unit}' can receive no case: no routing rule names it, it owns no place a rule "
                              "routes by place, and no escalation rule escalates to it. Add a routing rule to "
                              "{routing} (then: {{unit: {unit}}}), or, if the duty desk forwards to it only by hand, "
                              "write by_hand: true in its declaration"),
    "lint.by_hand_routed": ("单位「{unit}」标为 by_hand（只由值班台手工转办），但规则 {id}（{where}）会把案件转办给它："
                            "删去 by_hand，或改这条规则",
                            "unit '{unit}' is marked by_hand (forwarded to by the duty desk only), but rule {id} "
                            "({where}) routes cases to it: remove by_hand or change that rule"),
    "lint.skip_units": ("单位：未检查是否每个单位都能收到案件（{why}）",
                        "units: did not check that every unit can receive a case ({why})"),
    "lint.undeclared_units": ("规则指向未声明的单位：{names}", "rules name units that are not declared: {names}"),
    "lint.no_default": ("没有兜底的分类规则（不写 when 的规则）：没有关键词命中的帖子将无法分类",
                        "no default classification rule (a rule without 'when'): a post no keyword matches cannot be "
                        "classified"),
    "lint.calendar_covers": ("策略的工作日历覆盖 {span} 年，不含 {key} {day}",
                             "the policy's working-day calendar covers {span}, not {key} {day}"),
    "lint.past_data": ("超出其数据范围", "past the end of its data"),
    "lint.reach_to": ("到 {day}", "to {day}"),
    "lint.beyond_rule": ("规则 {id}（{where}）的「{within}」{reach}", "'{within}' from rule {id} ({where}) runs {reach}"),
    "lint.beyond": ("运行超出了策略工作日历的范围（{span} 年）：最后一天 {end} 立案的案件，其时限日历无法计算：{beyond}；"
                    "请提前结束时段，或在 calendar 规则文件的 years 中列出下一年（或更新 chinesecalendar 包）",
                    "the run reaches beyond the policy's working-day calendar ({span}): a case opened on the last day, "
                    "{end}, gets deadlines the calendar cannot compute: {beyond}; end the period earlier, or list the "
                    "next year under years in the calendar rule file (or update the chinesecalendar package)"),
    # case files: a post and later events (engine/explain.py replay_case)

    "case.event_invalid": ("{type} 事件：{what}", "{type} event: {what}"),
    "case.missing_deadline": ("deadline_reached 事件：缺少键「deadline」（reply 或 external_statement）",
                              "deadline_reached event: missing key 'deadline' (reply or external_statement)"),
    "case.no_such_deadline": ("在此事件之前，策略没有给本案设置「{kind}」时限（已设置的时限：{have}）",
                              "the policy set no '{kind}' deadline on this case before this event (deadlines set: "
                              "{have})"),
    "case.setter": ("规则 {rule}（{where}）自 {start} 起 {within}", "rule {rule} ({where}): {within} from {start}"),
    "case.no_reminder": ("「{kind}」时限没有提醒（由{setter}设置）", "the '{kind}' deadline has no reminder (set by {setter})"),
    "case.before_due": ("deadline_reached 的时间 {at} 早于 {kind} 时限的到期时间 {due}（由{setter}设置）；不写「at」即用到期时间",
                        "deadline_reached at {at} is before the {kind} deadline's due time {due} (set by {setter}); "
                        "omit 'at' to use the due time"),
    "case.before_reminder": ("deadline_reached 的时间 {at} 早于 {kind} 时限的提醒时间 {due}（由{setter}设置）；不写「at」即用提醒时间",
                             "deadline_reached at {at} is before the {kind} deadline's reminder time {due} (set by "
                             "{setter}); omit 'at' to use the reminder time"),
    "case.missing_at": ("{type} 事件：缺少键「at」", "{type} event: missing key 'at'"),
    "case.out_of_order": ("{type} 的时间 {at} 早于{previous}（{previous_at}）：事件必须按时间顺序排列，且不能早于帖子",
                          "{type} at {at} is before {previous} ({previous_at}): events must be in time order, none "
                          "before the post"),
    "case.out_of_order_computed": ("{type} 推算出的时间 {at} 早于{previous}（{previous_at}）：事件必须按时间顺序排列，且不能早于帖子",
                                   "{type} computed time {at} is before {previous} ({previous_at}): events must be in "
                                   "time order, none before the post"),
    "case.the_post": ("帖子", "the post"),
    # the policy-test runner (engine/policytest.py)

    "test.none": ("（无）", "(none)"),
    "test.diff": ("{key}：应为 {want}，实际 {got}", "{key}: expected {want}, got {got}"),
    "test.rules_missing": ("rules：应命中 {missing}；实际命中：{fired}", "rules: expected {missing} to fire; fired: {fired}"),
    "test.error": ("错误：{error}", "error: {error}"),


    "test.unknown_rule": ("rules：「{rule}」不是本策略的规则", "rules: '{rule}' is not a rule of this policy"),
    "test.shortfall": ("覆盖率 {pct}% 低于下限 {min}%（未覆盖：{missing}）",
                       "coverage {pct}% is below the minimum {min}% (not covered: {missing})"),
    "test.no_files": ("没有策略测试文件（*.yaml）", "no policy test files (*.yaml)"),
    # conditions that do not type-check (engine/conditions.py)

    "regex.backslash": ("正则「{pattern}」：durable_rules 不支持反斜杠转义和 % 字符类（它的 \\w、%w 和忽略大小写只认 ASCII）",
                        "regex '{pattern}': backslash escapes and %-classes are not supported by durable_rules (its "
                        "\\w, %w and case-insensitive matching are ASCII-only)"),
    "regex.anchors": ("正则「{pattern}」：不支持锚点和 (?...) 分组；正则总是匹配整段正文",
                      "regex '{pattern}': anchors and (?...) groups are not supported; patterns always match the "
                      "whole text"),
    "regex.range": ("正则「{pattern}」：字符范围 {lo}-{hi} 跨 {n} 个码位；这么大的范围会让 durable_rules 崩溃（上限 "
                    "{limit}），请改为逐个列出字符",
                    "regex '{pattern}': character range {lo}-{hi} spans {n} code points; durable_rules crashes on "
                    "ranges this large (limit {limit}), list the characters instead"),
    "regex.repetition": ("正则「{pattern}」：重复次数应写成 {{0,n}}，不要写 {{,n}}",
                         "regex '{pattern}': write a repetition as {{0,n}}, not {{,n}}"),
    "regex.invalid": ("正则「{pattern}」无效：{error}", "regex '{pattern}' is invalid: {error}"),
    "regex.re2": ("正则「{pattern}」不受 RE2（规则所用的线性时间正则引擎）支持：{reason}",
                  "regex '{pattern}' is not supported by RE2, the linear-time regex engine rules run on: {reason}"),
    "cond.want_bool": ("字段「{field}」取 true/false，而不是 {value}", "field '{field}' is true/false, got {value}"),
    "cond.want_int": ("字段「{field}」取整数，而不是 {value}", "field '{field}' is a whole number, got {value}"),
    "cond.want_text": ("字段「{field}」取文字，而不是 {value}", "field '{field}' is text, got {value}"),
    "cond.out_of_range": ("数字 {value} 超出范围（正负都不超过 {max}）",
                          "number {value} is out of range (at most {max} either way)"),
    "cond.unknown_value": ("「{value}」不是字段「{field}」的可用取值（应为以下之一：{allowed}）",
                           "'{value}' is not a known value of '{field}' (one of: {allowed})"),
    "cond.unknown_op": ("未知运算符「{op}」（应为以下之一：{allowed}）", "unknown operator '{op}' (one of: {allowed})"),
    "cond.needs_list": ("运算符「{op}」需要一个非空列表", "operator '{op}' needs a non-empty list"),
    "cond.list_too_long": ("运算符「{op}」有 {n} 个值（最多 {max} 个）", "operator '{op}' has {n} values (at most {max})"),
    "cond.list_on_bool": ("运算符「{op}」不能用于 true/false 字段「{field}」",
                          "operator '{op}' does not apply to true/false field '{field}'"),
    "cond.needs_number_field": ("运算符「{op}」只能用于数字字段；「{field}」不是数字字段",
                                "operator '{op}' needs a number field; '{field}' is not one"),
    "cond.needs_text_field": ("运算符「{op}」只能用于文字字段；「{field}」不是文字字段",
                              "operator '{op}' needs a text field; '{field}' is not one"),
    "cond.needs_keywords": ("contains_any 需要一个非空的关键词列表", "contains_any needs a non-empty list of keywords"),
    "cond.too_many_keywords": ("contains_any 有 {n} 个关键词（最多 {max} 个）",
                               "contains_any has {n} keywords (at most {max})"),
    "cond.keyword_meta": ("关键词「{word}」含有正则元字符 {chars}；关键词按字面匹配",
                          "keyword '{word}' contains regex metacharacter(s) {chars}; keywords are literal text"),
    "cond.needs_pattern": ("matches 需要一个文字形式的正则", "matches needs a regex pattern as text"),
    "cond.when_not_mapping": ("「when」必须是「字段: 条件」的映射", "'when' must be a mapping of field: test"),
    "cond.unknown_field": ("未知字段「{field}」", "unknown field '{field}'"),
    "cond.field_not_yet": ("{table} 规则运行时还不知道字段「{field}」（可用：{allowed}）",
                           "field '{field}' is not known yet when {table} rules run (available: {allowed})"),
    "cond.empty_test": ("「{field}」的条件为空", "empty test for '{field}'"),
    # the rule language in Chinese (engine/conditions.py Condition.describe, explain)

    "field.event": ("事件", "event"),
    "field.channel": ("渠道", "channel"),
    "field.text": ("正文", "text"),
    "field.place": ("地点", "place"),
    "field.category": ("类别", "category"),
    "field.unit": ("承办单位", "unit"),
    "field.hot": ("热点事件", "hot"),
    "field.reposts": ("转发评论数", "reposts"),
    "field.followups": ("追问次数", "followups"),
    "field.deadline": ("时限类型", "deadline"),
    "field.reminder": ("提醒", "reminder"),
    "field.met": ("按时完成", "met"),
    "field.replied": ("已答复", "replied"),
    "field.statement_issued": ("已对外表态", "statement_issued"),
    "field.reply_kind": ("答复类型", "reply_kind"),
    "field.escalations": ("督办次数", "escalations"),
    "value.event.post_received": ("收到帖子", "post_received"),
    "value.event.reposts_updated": ("转发评论数更新", "reposts_updated"),
    "value.event.follow_up_posted": ("网民追问", "follow_up_posted"),
    "value.event.statement_issued": ("对外表态", "statement_issued"),
    "value.event.reply_filed": ("单位答复", "reply_filed"),
    "value.event.deadline_reached": ("时限到达", "deadline_reached"),
    "value.channel.weibo": ("微博", "weibo"),
    "value.channel.wechat": ("微信", "wechat"),
    "value.deadline.reply": ("答复时限", "reply"),
    "value.deadline.external_statement": ("对外表态时限", "external_statement"),
    "cond.eq": ("{field}为{value}", "{field} is {value}"),
    "cond.ne": ("{field}不为{value}", "{field} is not {value}"),
    "cond.in": ("{field}为{values}之一", "{field} is one of {values}"),
    "cond.not_in": ("{field}不是{values}中的任何一个", "{field} is none of {values}"),
    "cond.gt": ("{field}大于 {value}", "{field} is more than {value}"),
    "cond.gte": ("{field}不少于 {value}", "{field} is at least {value}"),
    "cond.lt": ("{field}少于 {value}", "{field} is less than {value}"),
    "cond.lte": ("{field}不超过 {value}", "{field} is at most {value}"),
    "cond.contains": ("{field}包含「{words}」", "{field} contains any of {words}"),
    "cond.matches": ("{field}符合正则 /{pattern}/", "{field} matches /{pattern}/"),
    "cond.bool_yes": ("是{field}", "{field} is true"),
    "cond.bool_no": ("不是{field}", "{field} is false"),
    "bool.hot.yes": ("是热点事件", "hot"),
    "bool.hot.no": ("不是热点事件", "not hot"),
    "bool.replied.yes": ("单位已答复", "replied"),
    "bool.replied.no": ("单位尚未答复", "not replied"),
    "bool.statement_issued.yes": ("已对外表态", "statement issued"),
    "bool.statement_issued.no": ("尚未对外表态", "no statement issued"),
    "bool.reminder.yes": ("是提醒（而非到期）", "a reminder"),
    "bool.reminder.no": ("是到期（而非提醒）", "not a reminder"),
    "bool.met.yes": ("已按时完成", "met"),
    "bool.met.no": ("未按时完成", "not met"),
    "explain.not_selected": ("条件成立，但未被命中策略选中", "matched, not selected by the hit policy"),
    "cond.true": ("是", "true"),


    "cond.false": ("否", "false"),
    # a value of the wrong kind (pydantic's error types, engine/yamlsrc.py)


    "value.number": ("「{value}」不是数字；应写数字，如 7 或 0.5", "'{value}' is not a number; write a number, e.g. 7 or 0.5"),
    "value.integer": ("「{value}」不是整数；应写整数，如 7", "'{value}' is not a whole number; write an integer, e.g. 7"),
    "value.bool": ("「{value}」不是 true/false；应写 true 或 false", "'{value}' is not true/false; write true or false"),
    # a quoted "no", yes/on/off (text under YAML 1.2) or 1/0 where true/false is wanted: say which one was meant
    "value.bool_word": ("「{value}」是文字，不是真假值：这里只认不加引号的 true 和 false（yes/no、on/off、1/0 和加引号的 \"{meant}\" 都不算）；应写 {meant}",
                        "'{value}' is text, not a true/false value: only unquoted true and false are accepted here (not yes/no, on/off, 1/0 or a quoted \"{meant}\"); write {meant}"),
    "value.bool_number": ("「{value}」是数字，不是真假值：这里只认不加引号的 true 和 false；应写 {meant}",
                          "'{value}' is a number, not a true/false value: only unquoted true and false are accepted here; write {meant}"),
    "value.text": ("「{value}」不是文字；应写文字（可加引号）", "'{value}' is not text; write text (quoted if need be)"),
    "value.one_of": ("「{value}」不是可用的取值；应为以下之一：{allowed}", "'{value}' is not one of the allowed values: {allowed}"),
    "value.gt": ("「{value}」太小；应大于 {bound}", "'{value}' is too small; it must be greater than {bound}"),
    "value.ge": ("「{value}」太小；应大于或等于 {bound}", "'{value}' is too small; it must be greater than or equal to {bound}"),
    "value.lt": ("「{value}」太大；应小于 {bound}", "'{value}' is too large; it must be less than {bound}"),
    "value.le": ("「{value}」太大；应小于或等于 {bound}", "'{value}' is too large; it must be less than or equal to {bound}"),
    "value.datetime": ("「{value}」不是带时区的日期时间；应写如 2014-09-30T16:00+08:00",
                       "'{value}' is not a date and time with a UTC offset; write e.g. 2014-09-30T16:00+08:00"),
    "value.date": ("「{value}」不是有效日期（{reason}）；应写如 2014-10-01",
                   "'{value}' is not a valid date ({reason}); write e.g. 2014-10-01"),
    "value.no_timezone": ("「{value}」没有时区（UTC 偏移）；应写如 {suggestion}",
                          "'{value}' has no timezone (UTC offset); write e.g. {suggestion}"),
    "value.time": ("「{value}」不是时刻；应写如 17:30", "'{value}' is not a clock time; write e.g. 17:30"),
    "value.list": ("「{value}」不是列表；应写列表，如 [a, b] 或每行一个「- 值」",
                   "'{value}' is not a list; write a list, e.g. [a, b] or one '- item' per line"),
    "value.mapping": ("「{value}」不是映射；应写「键: 值」", "'{value}' is not a mapping; write 'key: value' pairs"),
    "value.too_short": ("「{value}」太短；至少 {n} 个字符", "'{value}' is too short; at least {n} character(s)"),
    "value.too_long_text": ("「{value}」太长；最多 {n} 个字符", "'{value}' is too long; at most {n} characters"),
    "value.too_few": ("至少要有 {n} 项，现有 {actual} 项", "needs at least {n} item(s), has {actual}"),
    "value.too_many": ("最多 {n} 项，现有 {actual} 项", "at most {n} items, has {actual}"),
    "value.pattern": ("「{value}」格式不对（应符合 {pattern}）", "'{value}' has the wrong form (it must match {pattern})"),
    # --- adapters (engine/adapters.py): why a platform payload was refused; the reason codes stay as they are ---
    "adapter.type.null": ("空值 null", "null"),
    "adapter.type.bool": ("布尔值 true/false", "true/false"),
    "adapter.type.number": ("数字", "a number"),
    "adapter.type.text": ("文字", "text"),
    "adapter.type.list": ("列表", "a list"),
    "adapter.type.object": ("对象", "an object"),
    "adapter.type.other": ("{name}", "{name}"),
    "adapter.not_text": ("{name} 应为文字，实际是{got}", "{name} must be text, got {got}"),
    "adapter.control": ("{name} 含有控制字符或文字方向控制符", "{name} contains control or direction-override characters"),
    "adapter.empty": ("{name} 为空", "{name} is empty"),
    "adapter.too_long": ("{name} 有 {n} 个字符（上限 {limit}）", "{name} has {n} characters (limit {limit})"),
    "adapter.bad_count": ("{name} 应为 0 至 {limit} 的整数，实际是 {value}",
                          "{name} must be a whole number from 0 to {limit}, got {value}"),
    "adapter.duplicate": ("消息 {post} 已经收到过", "message {post} was already received"),
    "adapter.weibo_not_object": ("微博内容须为 JSON 对象", "a Weibo status must be a JSON object"),
    "adapter.missing": ("缺少「{key}」", "missing '{key}'"),
    "adapter.missing_element": ("缺少 <{name}>", "missing <{name}>"),
    "adapter.bad_id": ("{name} 应为数字，实际是 {value}", "{name} must be a number, got {value}"),
    "adapter.bad_created_at": ("created_at {value} 不是微博的时间格式（如「Wed May 14 10:05:00 +0800 2014」）",
                               "created_at {value} is not in Weibo's format (e.g. 'Wed May 14 10:05:00 +0800 2014')"),
    "adapter.user_not_object": ("user 应为对象", "user must be an object"),
    "adapter.counts_not_list": ("statuses/count 的回复须为 JSON 列表", "statuses/count replies with a JSON list"),
    "adapter.batch_too_large": ("一次回复中有 {n} 条微博（上限 {limit}）", "{n} statuses in one reply (limit {limit})"),
    "adapter.entry": ("第 {n} 项：{what}", "entry {n}: {what}"),
    "adapter.entry_not_object": ("第 {n} 项不是对象", "entry {n} is not an object"),
    "adapter.wechat_not_text": ("微信消息须为 XML 文本", "a WeChat message must be XML text"),
    "adapter.payload_too_large": ("载荷 {size} 字节（上限 {limit}）", "payload of {size} bytes (limit {limit})"),
    "adapter.dtd": ("微信消息中不允许 DOCTYPE/ENTITY 声明", "DOCTYPE/ENTITY declarations are not allowed in WeChat messages"),
    "adapter.not_xml": ("不是有效的 XML：{error}", "not XML: {error}"),
    "adapter.not_xml_at": ("不是有效的 XML：第 {line} 行第 {col} 列有误（{error}）",
                           "not XML: {error}: line {line}, column {col}"),
    "adapter.xml_encoding": ("不支持的 XML 编码：{error}", "unsupported XML encoding: {error}"),
    "adapter.wrong_root": ("根元素是 <{tag}>，应为 <xml>", "root element is <{tag}>, expected <xml>"),
    "adapter.unsupported_type": ("MsgType 为「{type}」（只有文字消息 text 才是网民反映）",
                                 "MsgType '{type}' (only text messages carry complaints)"),
    "adapter.create_time": ("CreateTime {value} 不是 Unix 时间", "CreateTime {value} is not a Unix time"),
    "adapter.create_time_range": ("CreateTime {value} 超出范围", "CreateTime {value} is out of range"),
    "adapter.not_json_at": ("不是有效的 JSON：第 {line} 行第 {col} 列有误（{error}）",
                            "not JSON: {error}: line {line} column {col}"),
    "adapter.not_json": ("不是有效的 JSON：{error}", "not JSON: {error}"),
    "adapter.not_utf8": ("不是有效的 JSON：不是 UTF-8 文本（{error}）", "not JSON: not UTF-8 text ({error})"),
    "adapter.too_deep": ("不是有效的 JSON：嵌套太深", "not JSON: nested too deeply"),

    # --- calendar years ---
    "calendar.year_gap": ("年份 {year} 没有紧接工作日历已覆盖的 {first}–{last} 年",
                          "the year {year} does not follow the calendar's covered years {first}–{last}"),
    "policy.calendar_year_covered": ("{year} 年已由 chinesecalendar 包覆盖（{first}–{last} 年）：删去这一项，"
                                     "包中的放假安排优先，不与文件重复",
                                     "the year {year} is already covered by the chinesecalendar package "
                                     "({first}–{last}): remove this entry; the package's arrangement applies"),
    "policy.calendar_year_twice": ("{year} 年在 years 中列了两次（另见第 {line} 行）",
                                   "the year {year} is listed twice under years (see also line {line})"),
    "policy.calendar_year_gap": ("{year} 年之前缺 {missing} 年：years 须紧接 chinesecalendar 包覆盖的 "
                                 "{first}–{last} 年逐年列出，不能跳过",
                                 "{missing} is missing before {year}: years must follow the chinesecalendar "
                                 "package's {first}–{last} one by one, without a gap"),
    "policy.calendar_year_empty": ("{year} 年列入了 years，但 holidays 中没有这一年的日期：请按通知（{source}）"
                                   "逐日列出该年的法定节假日，调休上班日列入 workdays",
                                   "the year {year} is listed under years but holidays has no day of it: list "
                                   "that year's statutory holidays day by day as the notice ({source}) gives them, "
                                   "and its make-up working days under workdays"),

    # --- operating-system reasons (engine.messages.os_reason): Chinese, and the OS's own English text ---
    "os.enoent": ("文件或文件夹不存在", "No such file or directory"),
    "os.eacces": ("权限不足", "Permission denied"),
    "os.eperm": ("操作不允许", "Operation not permitted"),
    "os.eexist": ("文件已存在", "File exists"),
    "os.eisdir": ("这是一个文件夹，不是文件", "Is a directory"),
    "os.enotdir": ("路径中有一项不是文件夹", "Not a directory"),
    "os.enotempty": ("文件夹不是空的", "Directory not empty"),
    "os.enospc": ("磁盘空间不足", "No space left on device"),
    "os.edquot": ("超出磁盘配额", "Disk quota exceeded"),
    "os.efbig": ("文件过大", "File too large"),
    "os.erofs": ("只读文件系统", "Read-only file system"),
    "os.eio": ("输入/输出错误", "Input/output error"),
    "os.emfile": ("打开的文件过多", "Too many open files"),
    "os.enametoolong": ("文件名过长", "File name too long"),
    "os.eloop": ("符号链接层数过多", "Too many levels of symbolic links"),
    "os.ebusy": ("设备或资源正忙", "Device or resource busy"),
    "os.eaddrinuse": ("地址已被占用", "Address already in use"),
    "os.eaddrnotavail": ("无法使用所请求的地址", "Cannot assign requested address"),
    "os.econnrefused": ("连接被拒绝", "Connection refused"),
    "os.econnreset": ("连接被对方重置", "Connection reset by peer"),
    "os.econnaborted": ("连接被中止", "Software caused connection abort"),
    "os.etimedout": ("连接超时", "Connection timed out"),
    "os.ehostunreach": ("没有通往该主机的路由", "No route to host"),
    "os.enetunreach": ("网络不可达", "Network is unreachable"),
    "os.epipe": ("管道已断开", "Broken pipe"),
    "os.eai_noname": ("主机名或服务名未知", "Name or service not known"),
    "os.eai_again": ("域名解析暂时失败", "Temporary failure in name resolution"),
    "os.eai_fail": ("域名解析失败", "Non-recoverable failure in name resolution"),
    "os.eai_nodata": ("该主机名没有对应的地址", "No address associated with hostname"),
    "os.eai_service": ("不支持该服务名或端口", "Servname not supported for ai_socktype"),
    "os.eai_addrfamily": ("该主机名没有所需地址族的地址", "Address family for hostname not supported"),
})


#: errno → its catalogue key ("os.enoent"); the errnos a person meets with files, ports and servers
_OS_KEYS: dict[int, str] = {}
#: getaddrinfo's error codes (socket.gaierror) → key; platform-specific numbers, so kept apart from errno's
_GAI_KEYS: dict[int, str] = {}


def _os_keys() -> tuple[dict[int, str], dict[int, str]]:
    if not _OS_KEYS:
        import errno
        import socket

        for key in t.entries:
            if key.startswith("os.eai_"):
                code = getattr(socket, key[3:].upper(), None)
                if code is not None:
                    _GAI_KEYS[code] = key
            elif key.startswith("os."):
                code = getattr(errno, key[3:].upper(), None)
                if code is not None:
                    _OS_KEYS[code] = key
    return _OS_KEYS, _GAI_KEYS


def os_reason(exc: BaseException) -> str:
    """The operating system's reason for ``exc`` (an ``OSError``, ``socket.gaierror`` included) in the
    current language: the catalogue's text for the common errnos, the OS's own text for the others.

    (``exc.strerror`` is the C library's English — "Permission denied" — whatever the language; inside a
    Chinese sentence it reads as a foreign phrase.)
    """
    import socket

    os_keys, gai_keys = _os_keys()
    code = getattr(exc, "errno", None)
    strerror = getattr(exc, "strerror", None)
    if get_lang() == "en" and strerror:
        return str(strerror)  # the OS's own words, unchanged (the catalogue's English is glibc's)
    if isinstance(code, int):
        key = gai_keys.get(code) if isinstance(exc, socket.gaierror) else os_keys.get(code)
        if key is not None:
            return t(key)
    return str(strerror) if strerror else str(exc)


def os_text(text: str) -> str:
    """``text`` (a library's message quoting the OS, e.g. libpq's "…: Connection refused") with every known
    OS reason in it in the current language.  English: unchanged."""
    if get_lang() == "en":
        return text
    import os

    os_keys, _ = _os_keys()
    for code, key in os_keys.items():
        english = os.strerror(code)
        if english in text:
            text = text.replace(english, t(key))
    return text
