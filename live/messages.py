"""The live service's part of the message catalogue (engine/i18n.py): configuration errors, answers, start-up."""

from __future__ import annotations

from engine.i18n import Catalogue

t = Catalogue("live", {
    # --- configuration (live/config.py) ---
    "config.unreadable": ("无法读取配置文件：{reason}", "cannot read the configuration file: {reason}"),
    "config.bad_syntax": ("配置文件不是有效的 {fmt}：{reason}", "the configuration file is not valid {fmt}: {reason}"),
    "config.not_mapping": ("配置文件的顶层必须是键值表", "the configuration file must hold a table of keys at its top"),
    "config.bad_suffix": ("配置文件须为 .yaml、.yml 或 .toml：{name}",
                          "the configuration file must be .yaml, .yml or .toml: {name}"),
    "config.short_token": ("{name} 太短：令牌至少 {n} 个字符", "{name} is too short: a token has at least {n} characters"),
    "config.same_token": ("{a} 与 {b} 的令牌相同：每个角色须有自己的令牌",
                          "{a} and {b} have the same token: each role needs its own"),
    "config.unknown_unit": ("unit_tokens 中的单位「{unit}」不在策略的单位中（{known}）",
                            "unit '{unit}' in unit_tokens is not one of the policy's units ({known})"),
    "config.clock_changed": ("数据库中的时钟（起点 {start}，倍速 {speed}）与配置（起点 {cstart}，倍速 {cspeed}）不同；"
                             "请使用原配置，或换一个新的数据库",
                             "the store's clock (start {start}, speed {speed}) differs from the configuration's "
                             "(start {cstart}, speed {cspeed}); use the original settings or a new store"),
    "config.invalid": ("配置项无效：{reason}", "invalid setting: {reason}"),
    "config.unknown_place": ("默认地点「{place}」不在策略的地点中（{known}）",
                             "default place '{place}' is not one of the policy's places ({known})"),
    # --- answers (live/app.py) ---
    "answer.received": ("已收到您的反映，编号 {case}，我们将尽快转交办理。",
                        "We have received your message (case {case}) and will forward it for handling."),
    "answer.unlocated": ("已收到您的反映（{post}），值班人员将确定所涉地点后转办。",
                         "We have received your message ({post}); the duty desk will locate it and forward it."),
    "answer.bad_signature": ("签名无效", "bad signature"),
    "answer.stale": ("时间戳过期或无效", "stale or invalid timestamp"),
    "answer.too_large": ("请求体超过 {limit} 字节", "request body larger than {limit} bytes"),
    "answer.not_configured": ("该渠道未配置", "this channel is not configured"),
    # --- serve (wenzheng serve) ---
    "serve.start": ("问政在线服务：策略 {rules}，数据库 {db}，地址 http://{host}:{port}",
                    "wenzheng live service: rules {rules}, database {db}, at http://{host}:{port}"),
    "serve.missing_extra": ("缺少在线服务所需的模块 {module}：请安装 pip install 'wenzheng[live]'",
                            "the live service needs the module {module}: pip install 'wenzheng[live]'"),
    # --- desk, units, supervisors: API and pages (live/api.py, live/pages.py; branch web) ---
    # --- drive (live/drive.py, wenzheng drive; branch drive) ---
    # --- store and databases (live/store.py; branch pg) ---
    "store.not_a_store": ("不是问政在线服务的数据库（{reason}）；未作任何改动。请换一个新文件或空数据库",
                          "not a wenzheng live store ({reason}); it was left untouched. "
                          "Use a new file or an empty database"),
    "store.not_sqlite": ("不是 SQLite 数据库：{reason}", "not a SQLite database: {reason}"),
    "store.no_revision": ("有数据表 {tables}，但没有 alembic_version 表",
                          "it has tables ({tables}) but no alembic_version table"),
    "store.unknown_tables": ("有问政不认识的数据表 {tables}", "it has tables wenzheng does not know: {tables}"),
})
