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
    "api.unauthorized": ("需要有效的令牌（Authorization: Bearer <令牌>）",
                         "a valid token is needed (Authorization: Bearer <token>)"),
    "api.forbidden": ("角色 {role} 无权执行 {action}", "the role {role} may not {action}"),
    "api.no_case": ("没有案件 {case}", "no case {case}"),
    "api.no_post": ("没有待定位的帖子 {post}", "no post {post}"),
    "api.bad_json": ("请求体不是有效的 JSON", "the request body is not valid JSON"),
    "api.not_object": ("请求体须为 JSON 对象", "the request body must be a JSON object"),
    "api.bad_text": ("{key} 须为非空文本，至多 {limit} 个字符", "{key} must be a non-empty text of at most {limit} characters"),
    "api.unknown_unit": ("单位「{unit}」不在策略的单位中（{known}）", "unit '{unit}' is not one of the policy's units ({known})"),
    "api.unknown_place": ("地点「{place}」不在策略的地点中（{known}）",
                          "place '{place}' is not one of the policy's places ({known})"),
    "api.bad_reply_kind": ("答复类型「{kind}」无效，须为：{known}", "reply kind '{kind}' is not valid; one of: {known}"),
    "api.promise_needed": ("「{kind}」须附承诺解决日期 promise_due（YYYY-MM-DD）",
                           "'{kind}' needs the promised date promise_due (YYYY-MM-DD)"),
    "api.promise_past": ("承诺日期 {date} 早于今天（{today}）", "the promised date {date} is before today ({today})"),
    "api.promise_only": ("只有「{promise_kind}」附承诺日期，「{kind}」不附",
                         "only '{promise_kind}' carries a promised date, not '{kind}'"),
    "api.bad_reposts": ("reposts 须为 0 至 {limit} 的整数", "reposts must be a whole number from 0 to {limit}"),
    "api.already_confirmed": ("案件 {case} 已确认", "case {case} is already confirmed"),
    "api.already_replied": ("案件 {case} 已答复", "case {case} already has a reply"),
    "api.already_stated": ("案件 {case} 已对外表态", "case {case} already has an external statement"),
    "api.same_unit": ("案件 {case} 已由「{unit}」办理", "case {case} is already with '{unit}'"),
    "api.already_located": ("帖子 {post} 已定位", "post {post} is already located"),
    # --- drive (live/drive.py, wenzheng drive; branch drive) ---
    "drive.no_secret": ("配置中缺少 {key}：无法为平台推送签名", "the configuration has no {key}: cannot sign the platform's pushes"),
    "drive.no_token": ("配置中缺少角色 {role} 的令牌", "the configuration has no token for the role {role}"),
    "drive.unreachable": ("{seconds} 秒内无法连接服务 {target}（先启动 wenzheng serve）",
                          "cannot reach the service at {target} within {seconds} s (start wenzheng serve first)"),
    "drive.speed_differs": ("--speed {speed} 与服务的时钟倍速 {service} 不同：请用服务配置中的 clock_speed",
                            "--speed {speed} differs from the service's clock speed {service}: use the service's "
                            "clock_speed"),
    "drive.clock_past": ("服务的时钟（{now}）已过场景的第一条帖子（{first}）：请用新数据库启动服务，"
                         "并把 clock_start 设为更早的时间，例如 {start}T00:00:00+08:00",
                         "the service's clock ({now}) is already past the scenario's first post ({first}): start the "
                         "service on a new store with an earlier clock_start, e.g. {start}T00:00:00+08:00"),
    "drive.reroute_reason": ("值班人员核实地点为{place}", "the desk located the post at {place}"),
    "drive.starting": ("向 {target} 发送 {n} 项（倍速 {speed}），{seconds} 秒后开始",
                       "sending {n} items to {target} (speed {speed}), starting in {seconds} s"),
    "drive.draining": ("发送完毕，等待服务触发剩余的时限……", "all sent; waiting for the service to fire the remaining deadlines…"),
    "drive.title": ("驱动测试：场景 {scenario}，种子 {seed}，倍速 {speed}",
                    "drive: scenario {scenario}, seed {seed}, speed {speed}"),
    "drive.until_note": ("只发送到 {until}（含）；模拟器指标取同一截止时刻",
                         "sent up to {until} (inclusive); the simulator's metrics are cut at the same moment"),
    "drive.posts": ("帖子：发送 {sent}，受理 {accepted}；其他操作 {actions}；发送用时 {seconds} 秒，持续受理 {rate} 帖/秒",
                    "posts: {sent} sent, {accepted} accepted; other actions {actions}; sending took {seconds} s, "
                    "sustained intake {rate} posts/s"),
    "drive.intake": ("受理", "intake"),
    "drive.api": ("接口操作", "API actions"),
    "drive.latency": ("{what}延迟：p50 {p50} 毫秒，p99 {p99} 毫秒（{n} 次请求）",
                      "{what} latency: p50 {p50} ms, p99 {p99} ms ({n} requests)"),
    "drive.lateness": ("发送滞后（模拟时间）：p99 {p99} 分钟，最大 {max} 分钟；容差按 {lag} 分钟计算",
                       "sending lag (simulated time): p99 {p99} min, max {max} min; tolerances assume {lag} min"),
    "drive.errors": ("错误：{errors}；第一个：{first}", "errors: {errors}; first: {first}"),
    "drive.no_errors": ("无错误（重试 {retries} 次）", "no errors ({retries} retries)"),
    "drive.table_head": ("指标                  模拟器       服务  容差", "metric                simulator    service  tolerance"),
    "drive.ok": ("结果：服务的指标与模拟器一致（在容差内）", "result: the service's metrics agree with the simulator's (within tolerance)"),
    "drive.failed": ("结果：有错误或指标超出容差", "result: errors occurred or a metric is outside its tolerance"),
    "drive.json_written": ("已写入 {path}", "wrote {path}"),
    # --- store and databases (live/store.py; branch pg) ---
})
