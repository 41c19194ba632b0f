"""What citizens write and the payloads they send, checked against answers known independently.

- a constructed day of five scripted posts whose category, place and unit are worked out by hand
  from rules/classification.yaml, rules/routing.yaml and rules/units.yaml: one misclassified but
  rightly routed, two rightly classified but misrouted by a border landmark (one of them where the
  routing rule itself depends on the place), one both, one neither;
- a run of the shipped scenario with a tap on every payload sent: every payload parsed again
  independently (json / a CDATA reader) agrees with the adapter's reading; a case's follow-ups
  carry the Weibo user id or OpenID of its first post; ids have the platforms' shapes; the geotag
  share lies in the binomial band of ``platforms.geo_share``; the comment share of the repost
  counts in the band of ``COMMENT_SHARE``; counts never go down; the posts that are misclassified
  and those that are misrouted are different sets;
- the gazetteer: every landmark located in its area, every geotag drawn for an area located back.

Cost: about 4 s (six weeks of the shipped scenario at 40 posts a day, five scripted posts, a few thousand draws).
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from datetime import date, datetime
from functools import cache
from typing import Any

from scipy import stats

from engine.adapters import PostAdapter
from simulator import load_run_inputs
from simulator.content import (
    GEO_JITTER_DEGREES,
    LANDMARKS,
    MIXED_TEMPLATES,
    OPENID_PREFIX,
    PLACE_CENTRES,
    SHARED_LANDMARKS,
    TEMPLATES,
    ContentGenerator,
    Gazetteer,
)
from simulator.metrics import compute_metrics
from simulator.model import RunResult, Simulation
from simulator.platforms import COMMENT_SHARE, OFFICIAL_ACCOUNT, cdata, wechat_message, weibo_status
from simulator.scenario import ScriptedPost

from .conftest import SCENARIOS

CJK = re.compile(r"[\u4e00-\u9fff]")


@cache
def _inputs() -> tuple[Any, Any]:
    sc, policy, _ = load_run_inputs(SCENARIOS / "changping-2014.yaml")
    return sc, policy


# -- a constructed case with known answers ------------------------------------------------------------

# (true place, true category, channel, text) -> (category the keyword rules give, unit, true unit),
# worked out by hand from the shipped rules (first matching rule wins in classification and routing).
KNOWN = [
    # 物业 (cls-property) comes before 垃圾 (cls-sanitation): misclassified; both categories are local
    # matters (route-local), so the form still reaches 回龙观's town
    (("回龙观", "环境卫生", "wechat", "龙泽苑小区楼道里的垃圾好几天没人收，物业也不管。"),
     ("物业管理", "回龙观镇", "回龙观镇")),
    # rightly classified; the gazetteer puts 霍营地铁站 in 霍营, so the form goes to 霍营's street
    (("回龙观", "物业管理", "wechat", "霍营地铁站旁边的小区电梯坏了一个星期，物业不管。"),
     ("物业管理", "霍营街道", "回龙观镇")),
    # 公园 (cls-parks) before 停车 (cls-traffic): a parks matter for the bureau, truly the traffic bureau's
    (("城北", "停车/交通", "wechat", "鼓楼南街附近公园门口乱停车，把消防通道都堵了。"),
     ("园林绿化", "园林绿化局", "交通局")),
    # plain: 社保 → 人力社保局
    (("城南", "社保服务", "wechat", "请问在南环路怎么办理社保转移？跑了好几趟都没办成。"),
     ("社保服务", "人力社保局", "人力社保局")),
    # rightly classified; in 天通苑北 illegal building is the enforcement bureau's
    # (route-illegal-building-large-communities), but the gazetteer puts 郑各庄 in 北七家 (route-local)
    (("天通苑北", "违法建设", "wechat", "郑各庄有住户私自加盖二层，属于违法建设，请查处。"),
     ("违法建设", "北七家镇", "城管监察局")),
]


def test_misclassification_and_misrouting_differ_on_a_constructed_case():
    sc, policy = _inputs()
    day = date(2014, 6, 10)
    scripted = [ScriptedPost(at=datetime(2014, 6, 10, 9 + i, tzinfo=policy.calendar.tz), place=place,
                             category=cat, channel=channel, text=text)
                for i, ((place, cat, channel, text), _) in enumerate(KNOWN)]
    sc = sc.model_copy(update={
        "start": day, "end": day,
        "arrivals": sc.arrivals.model_copy(update={"posts_per_day": 0.001, "actionable_share": 0.0,
                                                   "same_problem_share": 0.0, "scripted": scripted}),
        "platforms": sc.platforms.model_copy(update={"malformed": 0.0, "duplicate_delivery": 0.0})})
    result = Simulation(sc, policy, seed=1).run()
    forms = sorted((c for c in result.cases if c.opened_at is not None), key=lambda c: c.posted_at)
    assert [(c.category, c.unit, c.true_unit) for c in forms] == [want for _, want in KNOWN]
    misclassified = {c.case_id for c in forms if c.category != c.true_category}
    misrouted = {c.case_id for c in forms if c.unit != c.true_unit}
    ids = [c.case_id for c in forms]
    assert misclassified == {ids[0], ids[2]} and misrouted == {ids[1], ids[2], ids[4]}
    m = compute_metrics(result)
    assert (m["misclassification_rate"], m["misrouting_rate"]) == (0.4, 0.6)
    assert forms[1].located_place == "霍营" and forms[1].place == "回龙观"


# -- a month of the shipped scenario, every payload tapped ----------------------------------------------

@cache
def _tapped_run() -> tuple[RunResult, list[tuple[str, str, str]]]:
    sc, policy = _inputs()
    sc = sc.model_copy(update={"start": date(2014, 6, 1), "end": date(2014, 7, 15),
                               "arrivals": sc.arrivals.model_copy(update={"posts_per_day": 40.0})})
    sent: list[tuple[str, str, str]] = []
    result = Simulation(sc, policy, seed=7, tap=lambda cid, kind, payload: sent.append((cid, kind, payload))).run()
    return result, sent


def _cdata_field(xml: str, name: str) -> str:
    """A WeChat field read without an XML parser: the CDATA sections between its tags, joined."""
    body = xml.split(f"<{name}>", 1)[1].split(f"</{name}>", 1)[0]
    parts = re.findall(r"<!\[CDATA\[(.*?)\]\]>", body, flags=re.S)
    assert "".join(f"<![CDATA[{p}]]>" for p in parts) == body, f"<{name}> is not CDATA only"
    return "".join(parts)


def test_every_payload_round_trips_through_the_adapters():
    result, sent = _tapped_run()
    posts, updates = PostAdapter(), PostAdapter()
    kinds = defaultdict(int)
    for _cid, kind, payload in sent:
        kinds[kind] += 1
        if kind == "counts":
            doc = json.loads(payload)
            r = updates.weibo_counts(payload)
            assert r.accepted, r.detail
            assert [(u.post_id, u.reposts, u.comments) for u in r.updates] == \
                [(f"weibo-{d['id']}", d["reposts"], d["comments"]) for d in doc]
            assert [u.engagement for u in r.updates] == [d["reposts"] + d["comments"] for d in doc]
            continue
        adapter = posts if kind == "post" else updates
        if payload.startswith("{"):
            doc = json.loads(payload)
            r = adapter.weibo(payload)
            assert r.post is not None, r.detail
            geo = tuple(doc["geo"]["coordinates"]) if doc["geo"] else None
            assert (r.post.post_id, r.post.text, r.post.author, r.post.author_id, r.post.reposts, r.post.geo) == (
                f"weibo-{doc['idstr']}", doc["text"], doc["user"]["screen_name"], doc["user"]["idstr"],
                doc["reposts_count"] + doc["comments_count"], geo)
        else:
            r = adapter.wechat(payload)
            assert r.post is not None, r.detail
            assert _cdata_field(payload, "ToUserName") == OFFICIAL_ACCOUNT
            assert (r.post.text, r.post.author_id) == (_cdata_field(payload, "Content"),
                                                       _cdata_field(payload, "FromUserName"))
    assert kinds["post"] == result.posts
    assert kinds["follow-up"] == sum(c.followups for c in result.cases) > 20
    assert kinds["counts"] > 50
    assert posts.counts["accepted"] == result.posts  # one intact payload per post, each accepted once


def test_a_citizen_keeps_their_ids_across_follow_ups():
    result, sent = _tapped_run()
    first: dict[str, tuple[str, str]] = {}
    follow_ups = 0
    for cid, kind, payload in sent:
        if kind == "counts":
            continue
        if payload.startswith("{"):
            user = json.loads(payload)["user"]
            ident = ("weibo", user["idstr"])
            assert re.fullmatch(r"[1-9]\d{9}", user["idstr"]) and user["id"] == int(user["idstr"])
        else:
            ident = ("wechat", _cdata_field(payload, "FromUserName"))
            assert re.fullmatch(r"o[A-Za-z0-9_-]{27}", ident[1]) and ident[1].startswith(OPENID_PREFIX)
        if kind == "post":
            first[cid] = ident
        else:
            follow_ups += 1
            assert ident == first[cid], f"{cid}: a follow-up from {ident}, the post from {first[cid]}"
    assert follow_ups > 20
    # different citizens, different ids (collisions among a few thousand 10-digit ids: ~1e-3)
    assert len({i for i in first.values()}) >= len(first) - 1


def test_screen_names_and_account_ids_look_like_the_platforms():
    assert re.fullmatch(r"gh_[0-9a-f]{12}", OFFICIAL_ACCOUNT)
    result, sent = _tapped_run()
    names = [json.loads(p)["user"]["screen_name"] for _, k, p in sent if k == "post" and p.startswith("{")]
    assert len(names) > 1000
    chinese = sum(bool(CJK.search(n)) for n in names)
    assert chinese / len(names) > 0.6  # mostly Chinese nicknames
    defaults = [n for n in names if n.startswith("用户")]
    assert defaults and all(re.fullmatch(r"用户[1-9]\d{9}", n) for n in defaults)
    for _, k, p in sent:  # the default nickname carries the user's own id
        if k == "post" and p.startswith("{") and json.loads(p)["user"]["screen_name"].startswith("用户"):
            user = json.loads(p)["user"]
            assert user["screen_name"] == f"用户{user['idstr']}"
    assert all(1 <= len(n) <= 30 for n in names)


def test_geotag_share_and_position():
    result, sent = _tapped_run()
    sc, _ = _inputs()
    place = {c.case_id: c.place for c in result.cases}
    weibo = [(cid, json.loads(p)) for cid, k, p in sent if k == "post" and p.startswith("{")]
    tagged = [(cid, d) for cid, d in weibo if d["geo"] is not None]
    lo, hi = stats.binom.interval(0.9999, len(weibo), sc.platforms.geo_share)
    assert lo <= len(tagged) <= hi, f"{len(tagged)} geotags of {len(weibo)}, share {sc.platforms.geo_share}"
    for cid, d in tagged:
        assert d["geo"]["type"] == "Point"
        lat, lon = d["geo"]["coordinates"]  # Weibo order: latitude first
        if cid in place:  # posts the desk did not answer directly have a case
            clat, clon = PLACE_CENTRES[place[cid]]
            assert abs(lat - clat) <= GEO_JITTER_DEGREES + 1e-9 and abs(lon - clon) <= GEO_JITTER_DEGREES + 1e-9
    assert all(json.loads(p)["geo"] is None for _, k, p in sent if k == "follow-up" and p.startswith("{"))


def test_repost_and_comment_counts_move_and_split_as_configured():
    result, sent = _tapped_run()
    series: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for cid, kind, payload in sent:
        if kind == "counts":
            (d,) = json.loads(payload)
            series[cid].append((d["reposts"], d["comments"]))
    assert len(series) > 10
    moved = 0
    for cid, xs in series.items():
        assert all(a[0] <= b[0] and a[1] <= b[1] for a, b in zip(xs, xs[1:], strict=False)), f"{cid}: {xs}"
        moved += len(set(xs)) > 1
    assert moved > 5
    # each engagement is a comment with probability COMMENT_SHARE, independently: at the last poll the
    # comments of all cases together are Binomial(total engagement, COMMENT_SHARE)
    total = sum(sum(xs[-1]) for xs in series.values())
    comments = sum(xs[-1][1] for xs in series.values())
    lo, hi = stats.binom.interval(0.9999, total, COMMENT_SHARE)
    assert lo <= comments <= hi, f"{comments} comments of {total}"


def test_misclassified_and_misrouted_are_different_sets_on_the_shipped_scenario():
    result, _ = _tapped_run()
    forms = [c for c in result.cases if c.opened_at is not None]
    misclassified = {c.case_id for c in forms if c.category != c.true_category}
    misrouted = {c.case_id for c in forms if c.true_unit and c.unit != c.true_unit}
    assert misclassified - misrouted, "no misclassified post reached the right unit"
    assert misrouted - misclassified, "no rightly classified post was misrouted"
    # a rightly classified post is misrouted only by its place (the gazetteer's border landmarks)
    for c in forms:
        if c.case_id in misrouted - misclassified:
            assert c.located_place != c.place, c


# -- texts, gazetteer, geotags ----------------------------------------------------------------------------

def test_gazetteer_locates_landmarks_and_geotags():
    g = Gazetteer()
    for place, names in LANDMARKS.items():
        for name in names:
            assert g.from_text(f"{name}附近的问题") == place
    for name, other in SHARED_LANDMARKS.items():  # named by the other area's residents, placed in its own
        assert other != g.from_text(name) and name in sum(LANDMARKS.values(), ())
    assert g.from_text("没有地名的帖子") is None
    rng = random.Random(3)
    for place in PLACE_CENTRES:
        for _ in range(200):
            point = ContentGenerator.geo_point(rng, place)
            assert point is not None and g.from_point(*point) == place
            assert g.locate("霍营地铁站", point) == place  # a geotag outranks the text
    assert ContentGenerator.geo_point(rng, "不存在的地方") is None


def test_texts_name_their_place_and_mixed_ones_appear_at_their_share():
    rng = random.Random(5)
    gen = ContentGenerator(rng, 5, mixed_share=0.3)
    plain = {t for ts in TEMPLATES.values() for t in ts}
    mixed = {t for ts in MIXED_TEMPLATES.values() for t in ts}
    assert not plain & mixed
    n, hits = 4000, 0
    g = Gazetteer()
    for _ in range(n):
        place = rng.choice(list(LANDMARKS))
        text = gen.text("环境卫生", place)
        where = g.from_text(text)
        assert where == place or where in {o for o in LANDMARKS if any(
            SHARED_LANDMARKS.get(name) == place for name in LANDMARKS[o])}
        hits += any(text == t.format(where=w) for t in MIXED_TEMPLATES["环境卫生"]
                    for w in (*LANDMARKS[place], *SHARED_LANDMARKS))
    lo, hi = stats.binom.interval(0.9999, n, 0.3)
    assert lo <= hits <= hi


def test_wechat_content_is_cdata_and_survives_markup_in_the_text():
    text = "小区<垃圾>&没人管]]>真的"
    payload = wechat_message(6012345678901234567, datetime(2014, 5, 14, 10, 5).astimezone(), text,
                             OPENID_PREFIX + "a" * 22)
    assert "<Content><![CDATA[" in payload and cdata("x") == "<![CDATA[x]]>"
    r = PostAdapter().wechat(payload)
    assert r.post is not None and r.post.text == text


def test_weibo_status_geo_is_latitude_first():
    doc = json.loads(weibo_status(1, datetime(2014, 5, 14, 10, 5).astimezone(), "x", "u", 1234567890,
                                  geo=(40.076, 116.318)))
    assert doc["geo"] == {"type": "Point", "coordinates": [40.076, 116.318]}
    assert PostAdapter().weibo(doc).post.geo == (40.076, 116.318)  # type: ignore[union-attr]
