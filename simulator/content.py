"""What citizens write, who they are, and where they say it happened.

Faker's zh_CN provider gives realistic names, but its addresses are random
provinces and its lorem text is not Chinese anyone writes, and its phone
prefixes include ranges that did not exist in 2014.  So: Faker for names, our
own Changping landmarks and per-category complaint templates for the text,
and 2014 mobile prefixes for phone numbers.

Real complaints mention more than one subject: rubbish at a market, a car park
in a park, noise from a building site, a flat of twenty tenants whose landlord
the property company will not confront.  Each true category therefore has
*plain* templates (its own subject only) and *mixed* ones that also name a
second subject; a share of posts (the scenario's ``arrivals.mixed_share``,
default ``MIXED_SHARE``) uses a mixed template.  Which
subject the keyword rules pick then depends on the rules' order, so a post can
be misclassified yet reach the right unit (both categories go to the street or
town), or be misclassified and misrouted.  The landmarks near the border of two
areas (``SHARED_LANDMARKS``) are what the duty desk's gazetteer places in one
of them, so a correctly classified post about the other area can reach the
wrong street or town: misrouting by place.  The mixed share is an assumption
of the model (no published figure), stated in docs/scenarios.md.

Identities: a Weibo citizen has a 10-digit user id and a screen name shaped
like real Weibo nicknames; a WeChat citizen an OpenID (28 characters, ``o``
plus the account's prefix plus base64url-style characters, as OpenIDs of one
official account look).  The simulator keeps the author on the case, so every
follow-up comes from the same id.
"""

from __future__ import annotations

import math
import random
import re
from base64 import b64encode
from bisect import bisect_right
from itertools import accumulate

__all__ = [
    "Author", "ContentGenerator", "Gazetteer", "LANDMARKS", "SHARED_LANDMARKS", "PLACE_CENTRES", "TEMPLATES",
    "MIXED_TEMPLATES", "MIXED_SHARE", "FOLLOW_UP_TEMPLATES", "PHONE_PREFIXES_2014", "OPENID_PREFIX",
    "GEO_JITTER_DEGREES",
]

# Mobile prefixes allocated by 2014 (China Mobile, Unicom, Telecom); no 16x/19x.
PHONE_PREFIXES_2014 = (
    "134 135 136 137 138 139 147 150 151 152 157 158 159 178 182 183 184 187 188 "
    "130 131 132 145 155 156 176 185 186 133 153 177 180 181 189"
).split()

# A few well-known residential areas and landmarks per area (2014 names).  Each landmark belongs to the
# one area it is listed under: that is what the desk's gazetteer says.
LANDMARKS: dict[str, tuple[str, ...]] = {
    "城北": ("鼓楼南街", "西关环岛", "昌平公园东门", "政府街"),
    "城南": ("昌平新城", "南环路", "旧县村", "亢山广场"),
    "天通苑北": ("天通苑北一区", "天通苑北二区", "天通苑北三区", "太平家园"),
    "天通苑南": ("天通西苑", "天通东苑", "天通中苑", "天通苑地铁站", "立水桥北"),
    "霍营": ("霍营地铁站", "华龙苑", "龙锦苑东", "霍营村"),
    "回龙观": ("龙泽苑", "龙跃苑", "流星花园", "新龙城", "回龙观西大街", "育知东路"),
    "东小口": ("东小口森林公园", "贺村", "中滩村", "芦村", "东三旗"),
    "沙河": ("沙河高教园", "巩华城", "沙河镇中心", "于新庄"),
    "北七家": ("北七家镇政府", "王府街", "平西府", "郑各庄"),
    "南口": ("南口镇", "南口农场", "南口火车站", "马坊村"),
    "马池口": ("马池口村", "亭子庄", "百泉庄", "乃干屯"),
    "阳坊": ("阳坊大街", "西贯市", "阳坊涮肉一条街", "后白虎涧"),
    "小汤山": ("小汤山温泉", "大汤山村", "小汤山医院", "葫芦河"),
    "南邵": ("南邵镇中心", "营坊村", "何营村", "张各庄"),
    "崔村": ("崔村镇", "香堂村", "真顺村", "西辛峰"),
    "百善": ("百善镇", "东沙屯", "上东廓", "孟祖村"),
    "流村": ("流村镇", "王家园", "长峪城", "溜石港"),
    "十三陵": ("十三陵水库", "定陵", "长陵", "涧头村"),
    "兴寿": ("兴寿镇", "草莓大棚", "秦城村", "辛庄"),
    "延寿": ("延寿镇", "湖门村", "西湖村", "百合村"),
}

# Landmarks on the border of two areas: residents of the second area name them too ("near 霍营 station"),
# and the gazetteer places them in the area they are listed under above.  landmark -> the other area.
SHARED_LANDMARKS: dict[str, str] = {
    "霍营地铁站": "回龙观",
    "立水桥北": "东小口",
    "东三旗": "北七家",
    "西关环岛": "城南",
    "郑各庄": "天通苑北",
}

# The rough centre of each area (WGS-84 degrees: latitude, longitude).  Geotagged Weibo posts carry a point
# within GEO_JITTER_DEGREES of their area's centre; the gazetteer locates a point at the nearest centre.
PLACE_CENTRES: dict[str, tuple[float, float]] = {
    "城北": (40.228, 116.236), "城南": (40.205, 116.226), "天通苑北": (40.087, 116.420),
    "天通苑南": (40.066, 116.415), "霍营": (40.074, 116.360), "回龙观": (40.076, 116.318),
    "东小口": (40.050, 116.394), "沙河": (40.140, 116.285), "北七家": (40.112, 116.428),
    "南口": (40.240, 116.125), "马池口": (40.196, 116.170), "阳坊": (40.128, 116.136),
    "小汤山": (40.183, 116.388), "南邵": (40.222, 116.285), "崔村": (40.232, 116.338),
    "百善": (40.170, 116.318), "流村": (40.235, 116.005), "十三陵": (40.282, 116.222),
    "兴寿": (40.228, 116.412), "延寿": (40.300, 116.350),
}
GEO_JITTER_DEGREES = 0.004  # about 400 m: a phone's position somewhere in the area's built-up core

# Per true category: plain complaint templates (the category's own subject).  {where} is a landmark.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "环境卫生": (
        "{where}的垃圾已经堆了好几天没人清运，天热臭味很大，希望尽快处理。",
        "{where}附近垃圾桶满了一直没人管，苍蝇到处都是。",
        "{where}路边有人倾倒建筑垃圾，脏乱不堪。",
        "{where}污水横流，雨后臭味熏天，请有关部门看看。",
    ),
    "园林绿化": (
        "{where}公园里的树木被人砍了好几棵，有没有人管？",
        "{where}的绿地被人占了种菜，绿化带都毁了。",
        "{where}公园停车场收费不合理，请园林部门解释一下。",
        "{where}草坪好久没人修剪，杂草丛生。",
    ),
    "停车/交通": (
        "{where}门口违停严重，早晚高峰堵车堵得走不动。",
        "{where}的红绿灯坏了好几天，路口很危险。",
        "{where}公交车班次太少，早上等半小时都上不去。",
        "{where}路面坑洼不平，电动车摔了好几次。",
    ),
    "群租房": (
        "{where}有一套房子被二房东打隔断出租，住了二十多人，消防隐患太大。",
        "{where}地下室住人，群租现象严重，晚上吵闹。",
        "举报{where}群租房，隔断间一间挨一间，进出人员很杂。",
    ),
    "违法建设": (
        "{where}有住户私自加盖二层，属于违法建设，请查处。",
        "{where}楼顶私搭乱建，影响周边采光。",
        "举报{where}一处违建，施工已经好几天了。",
    ),
    "物业管理": (
        "{where}物业不作为，电梯坏了一个星期没人修。",
        "{where}的物业费年年涨，服务却越来越差。",
        "{where}小区门禁坏了很久，外人随便进出，物业不管。",
    ),
    "社保服务": (
        "请问在{where}怎么办理社保转移？跑了好几趟都没办成。",
        "{where}的老人养老金迟迟没有到账，希望人力社保部门给个说法。",
        "医保报销手续太复杂，{where}的居民办一次要跑好几个地方。",
    ),
    "噪音": (
        "{where}附近工地夜间施工噪音太大，整夜睡不着。",
        "{where}广场舞音响开得太大，每天晚上十点还在扰民。",
        "{where}楼下饭馆排风机噪音扰民，多次反映无果。",
    ),
    "供暖": (
        "{where}的暖气一直不热，家里只有十几度，老人孩子都冻病了。",
        "{where}供暖费交了，可是采暖效果很差。",
    ),
    "市容城管": (
        "{where}路边占道经营的摊贩太多了，行人只能走机动车道。",
        "{where}电线杆上小广告乱贴，清理了又贴上。",
        "{where}晚上游商摆摊，油烟很大。",
    ),
    "医疗卫生": (
        "{where}社区卫生服务站人太少，看病要排很久。",
        "在{where}附近医院挂号太难了，能不能增加号源？",
        "{where}的孩子打疫苗要等很久，希望增加接种时间。",
    ),
    "教育": (
        "{where}的孩子入学难，附近幼儿园学位太少。",
        "{where}学校门口的校车安全隐患大，希望有人管管。",
    ),
    "社会救助": (
        "{where}有位残疾人生活困难，申请低保一直没有结果。",
        "{where}的困难家庭需要救助，能不能帮帮他们？",
    ),
    "市场监管": (
        "{where}一家餐馆卫生很差，吃完拉肚子，食品安全谁来管？",
        "{where}超市卖过期商品，商家态度恶劣。",
        "{where}的驾校乱收费，报名以后又要交各种费用。",
    ),
    "治安": (
        "{where}最近小偷很多，好几家电动车被盗。",
        "{where}晚上经常有人打架，居民很害怕。",
    ),
    "供水": (
        "{where}又停水了，也没有提前通知。",
        "{where}自来水水压太低，高层根本用不上水。",
    ),
    "其他": (
        "{where}这边的问题反映了很久了，希望领导重视一下。",
        "想问一下{where}的拆迁补偿政策什么时候公布？",
        "{where}村里的路灯坏了好几个月，晚上出门很不方便。",
    ),
}

# Per true category: templates that also name a second subject, as real complaints do.  Which category
# the keyword rules give is the rules' business (their order decides); the comments say what the
# shipped rules (rules/classification.yaml) make of each, for the reader only.
MIXED_TEMPLATES: dict[str, tuple[str, ...]] = {
    "环境卫生": (
        "{where}小区楼道里的垃圾好几天没人收，物业也不管。",  # 物业 first: 物业管理, same street/town
        "{where}公交站旁边的垃圾堆好几天了，等车都受不了。",  # 公交: 停车/交通 → 交通局
        "{where}菜市场门口垃圾遍地，商家把烂菜叶直接倒在路边。",  # 垃圾 before 商家: right
        "{where}公园里的公厕脏得没法进，臭味很大。",  # 公园: 园林绿化 → 园林绿化局
    ),
    "园林绿化": (
        "{where}小区门口的大树枝干快断了，很危险。",  # no keyword: 其他 → street/town
        "{where}的行道树被人砍伐，树下还有人乱堆垃圾。",  # 垃圾: 环境卫生 → street/town
        "{where}小区物业把绿化带改成了停车位。",  # 绿化带 first: right
    ),
    "停车/交通": (
        "{where}附近公园门口乱停车，把消防通道都堵了。",  # 公园: 园林绿化局
        "{where}学校门口接孩子的车乱停，每天早上堵车堵成一片。",  # 学校: 教育 → 教委
        "{where}小区里的车位被物业高价出租，业主停车难。",  # 车位 before 物业: right
        "{where}的停车场晚上有人摆摊，车都开不进去。",  # 停车 before 摆摊: right
    ),
    "群租房": (
        "{where}楼上一套两居室住了十几个人，半夜吵得睡不着，物业说管不了。",  # 物业: same street/town
        "{where}一套房子住了二十多人，楼道里垃圾成堆。",  # 垃圾: same street/town
    ),
    "违法建设": (
        "{where}一楼住户把绿地圈起来盖了房子。",  # 绿地: 园林绿化局
        "{where}有人在小区里占道盖房，一直没人管。",  # 占道: street/town; 城管监察局 in the large areas
        "{where}一楼住户私自扩建小院，物业制止无效。",  # 物业: street/town; 城管监察局 in the large areas
    ),
    "物业管理": (
        "{where}小区的电梯半夜维修，噪音扰民。",  # 噪音 first: same street/town
        "{where}小区停车位管理混乱，物业乱收费。",  # 停车: 交通局
        "{where}小区暖气不热，物业推给热力公司。",  # 暖气: 供暖 → 市政市容委
    ),
    "社保服务": (
        "{where}社区卫生服务站不能用医保卡，老人看病要自费。",  # 医保 before 卫生服务站: right
        "{where}办事大厅人太多，办个失业登记要排一上午。",  # no keyword: 其他 → street/town
    ),
    "噪音": (
        "{where}楼下餐馆后厨半夜还在剁馅，吵得睡不着。",  # 餐馆: 市场监管 → 工商分局
        "{where}工地半夜还在打桩，吵得整栋楼没法睡。",  # no keyword: 其他 → street/town, not 住建委
        "{where}小区里有人装修，每天早上七点就开始砸墙，物业不管。",  # 物业: same street/town
    ),
    "供暖": (
        "{where}小区冬天家里只有十几度，物业说锅炉坏了。",  # 物业: street/town
    ),
    "市容城管": (
        "{where}夜市摆摊到半夜，喇叭叫卖声扰民。",  # 扰民 first: 噪音, same street/town
        "{where}公交站台被小广告贴满了。",  # 公交: 交通局
        "{where}早市占道经营，垃圾扔得满地都是。",  # 垃圾 first: 环境卫生, same street/town
    ),
    "医疗卫生": (
        "{where}的诊所卖过期药，吃了也不见好。",  # 过期: 市场监管 → 工商分局
    ),
    "教育": (
        "{where}幼儿园门口早晚堵车，孩子过马路很危险。",  # 幼儿园 first: right
    ),
    "社会救助": (
        "{where}的孤寡老人没人照顾，希望社区帮帮他。",  # no keyword: 其他 → street/town
    ),
    "市场监管": (
        "{where}菜市场里有商家缺斤短两，门口垃圾也没人清。",  # 垃圾 first: 环境卫生 → street/town
    ),
    "治安": (
        "{where}小区里电动车接连被偷，物业的监控是坏的。",  # 物业: street/town
        "{where}停车场里的车被人砸了玻璃，包也被偷了。",  # 停车: 交通局
    ),
    "供水": (
        "{where}小区水管爆了两天，物业一直没修好，家里没水用。",  # 物业: street/town
    ),
    "其他": (
        "{where}村委会账目不公开，村民意见很大。",
    ),
}

#: the default share of complaints that name a second subject (a model assumption; see the module docstring)
MIXED_SHARE = 0.25

# Non-actionable posts: questions and thanks the desk answers directly.
CONSULTATIONS = (
    "请问{where}附近的办事大厅周末开门吗？",
    "感谢{where}的工作人员，问题已经解决了，点赞！",
    "{where}今天的活动几点开始？",
)

# A citizen's follow-up on their own earlier post (no new subject: the case's text stays the first post's).
FOLLOW_UP_TEMPLATES = (
    "再次反映：前几天说的问题到现在还没人管，请尽快处理！",
    "已经{days}天了，上次反映的问题还是老样子，有人看吗？",
    "追问一下，之前反映的情况有进展吗？",
    "说好的解决呢？问题又出现了，希望给个说法。",
    "第二次反映了，问题依旧，希望领导重视。",
)

# Weibo nicknames people actually choose (2014): place-based, phrase-based, real-name-like, Latin, and the
# platform's default "用户" plus ten digits for those who never set one.
_NICK_ADJ = ("快乐的", "安静的", "爱吃草莓的", "不会游泳的", "晒太阳的", "想睡觉的", "奔跑的", "微笑的")
_NICK_NOUN = ("小鱼", "猫", "兔子", "蜗牛", "小熊", "大白", "向日葵", "蘑菇")
_NICK_FAMILY = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
_NICK_AREA = ("回龙观", "天通苑", "昌平", "沙河", "霍营", "北七家", "南口", "小汤山")
OPENID_PREFIX = "oX7wQ"  # OpenIDs of one official account share their first characters
_OPENID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
_OPENID_LEN = 28 - len(OPENID_PREFIX)  # random characters, 6 bits each
_OPENID_BYTES = -(-6 * _OPENID_LEN // 24) * 3  # whole base64 groups: no padding
#: standard base64 digit of value v -> _OPENID_CHARS[v]
_B64_TO_OPENID = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", _OPENID_CHARS)


def openid_chars(bits: int) -> str:
    """``"".join(_OPENID_CHARS[(bits >> (6 * i)) & 63] for i in range(_OPENID_LEN))``, through base64 (big-endian
    6-bit digits, read backwards): one C call instead of a generator of 23 steps."""
    return b64encode(bits.to_bytes(_OPENID_BYTES, "big")).decode("ascii").translate(_B64_TO_OPENID)[::-1][:_OPENID_LEN]


class Author:
    """A citizen: Weibo user id and screen name, WeChat OpenID, phone; kept for the whole case."""

    __slots__ = ("name", "phone", "handle", "openid", "uid", "followers")

    def __init__(self, name: str, phone: str, handle: str, openid: str, uid: int = 0, followers: int = 0) -> None:
        self.name, self.phone, self.handle, self.openid = name, phone, handle, openid
        self.uid, self.followers = uid, followers

    def __reduce__(self) -> tuple[type[Author], tuple[str, str, str, str, int, int]]:
        # a constructor call in the pickle, not a slots dict: the traffic process sends one per post
        return Author, (self.name, self.phone, self.handle, self.openid, self.uid, self.followers)


class Gazetteer:
    """The duty desk's place finder: a landmark named in the text, or a geotag's nearest area centre.

    ``LANDMARKS`` say which area each landmark is in; the longest landmark found in a text wins (a
    text naming two gives the first in reading order).  ``None`` when neither says.
    """

    def __init__(self, landmarks: dict[str, tuple[str, ...]] | None = None,
                 centres: dict[str, tuple[float, float]] | None = None) -> None:
        landmarks = LANDMARKS if landmarks is None else landmarks
        self.owner: dict[str, str] = {}
        for place, names in landmarks.items():
            for name in names:
                self.owner.setdefault(name, place)
        longest_first = sorted(self.owner, key=lambda n: (-len(n), n))
        self._pattern = re.compile("|".join(map(re.escape, longest_first))) if longest_first else None
        self.centres = PLACE_CENTRES if centres is None else centres

    def from_text(self, text: str) -> str | None:
        if self._pattern is None:
            return None
        m = self._pattern.search(text)
        return self.owner[m.group(0)] if m else None

    def from_point(self, lat: float, lon: float) -> str | None:
        best, best_d = None, math.inf
        k = math.cos(math.radians(lat))
        for place, (clat, clon) in self.centres.items():
            d = (lat - clat) ** 2 + ((lon - clon) * k) ** 2
            if d < best_d:
                best, best_d = place, d
        return best

    def locate(self, text: str, geo: tuple[float, float] | None) -> str | None:
        """A geotag first (a phone knows where it is), then the landmark in the text."""
        if geo is not None:
            return self.from_point(*geo)
        return self.from_text(text)


def _faker_tables() -> tuple[tuple[str, ...], list[float], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Faker's zh_CN name data: surnames with their weights, given names, and the romanised names its
    user names are made of (Faker is the source of the data; drawing from it directly costs ~3 µs a name
    where ``Faker.name()`` costs ~0.2 ms)."""
    from faker.providers.person.zh_CN import Provider as Person

    lasts = tuple(Person.last_names)
    weights = list(accumulate(Person.last_names.values()))
    return lasts, weights, tuple(Person.first_names), tuple(Person.first_romanized_names), \
        tuple(Person.last_romanized_names)


_LASTS, _LAST_CUM, _FIRSTS, _FIRST_ROM, _LAST_ROM = _faker_tables()
_LAST_TOTAL = _LAST_CUM[-1] + 0.0  # as random.choices computes the total of cum_weights
_LOWER = "abcdefghijklmnopqrstuvwxyz"


class ContentGenerator:
    """Seeded generator of authors and post text.

    Names are Faker's zh_CN surnames (weighted as Faker weights them) and given names; user names follow
    Faker's zh_CN user-name shapes (``xiulandeng``, ``guiying77``, ``yzeng``, ``zhuqiang``).  All draws come
    from the generator's own stream.
    """

    def __init__(self, rng: random.Random, seed: int, mixed_share: float = MIXED_SHARE) -> None:
        self.rng = rng
        self.mixed_share = mixed_share
        self._choices = {p: names + tuple(n for n, other in SHARED_LANDMARKS.items() if other == p)
                         for p, names in LANDMARKS.items()}

    # author, _user_name and _nickname draw with ``rng._randbelow`` directly: ``rng.choice(seq)`` is
    # ``seq[rng._randbelow(len(seq))]``, ``rng.randrange(n)`` is ``rng._randbelow(n)`` and ``rng.randrange(a, b)``
    # is ``a + rng._randbelow(b - a)`` (CPython's random.py): the same draws without a Python call around each one
    def _user_name(self) -> str:
        rng = self.rng
        below = rng._randbelow  # type: ignore[attr-defined]
        shape = below(4)
        first, last = _FIRST_ROM[below(len(_FIRST_ROM))].lower(), _LAST_ROM[below(len(_LAST_ROM))].lower()
        if shape == 0:
            return last + first
        if shape == 1:
            return first + last
        if shape == 2:
            return f"{first}{below(100):02d}"
        return _LOWER[below(26)] + last

    def author(self) -> Author:
        rng = self.rng
        below = rng._randbelow  # type: ignore[attr-defined]
        # rng.choices(_LASTS, cum_weights=_LAST_CUM)[0], as CPython's choices computes it
        name = _LASTS[bisect_right(_LAST_CUM, rng.random() * _LAST_TOTAL, 0, len(_LASTS) - 1)] \
            + _FIRSTS[below(len(_FIRSTS))]
        latin = self._user_name()
        phone = PHONE_PREFIXES_2014[below(len(PHONE_PREFIXES_2014))] + f"{below(10**8):08d}"
        uid = 1_000_000_000 + below(4_500_000_000)  # 10 digits: the ids Weibo had issued by 2014
        openid = OPENID_PREFIX + openid_chars(rng.getrandbits(6 * _OPENID_LEN))
        followers = int(math.exp(rng.gauss(4.0, 1.5)))  # most citizens have tens to hundreds of followers
        return Author(name, phone, self._nickname(name, latin, uid), openid, uid, followers)

    def _nickname(self, name: str, latin: str, uid: int) -> str:
        rng = self.rng
        below = rng._randbelow  # type: ignore[attr-defined]
        shape = rng.random()
        if shape < 0.25:  # 回龙观老王, 天通苑小李
            return _NICK_AREA[below(len(_NICK_AREA))] + "老小"[below(2)] + _NICK_FAMILY[below(len(_NICK_FAMILY))]
        if shape < 0.45:  # 爱吃草莓的猫
            return _NICK_ADJ[below(len(_NICK_ADJ))] + _NICK_NOUN[below(len(_NICK_NOUN))]
        if shape < 0.65:  # 张伟1987
            return name + str(1960 + below(40))
        if shape < 0.85:  # wangli_88
            return latin + "_" + str(10 + below(990))
        return f"用户{uid}"  # the platform's default for users who never chose one

    def where(self, place: str) -> str:
        return self.rng.choice(self._choices.get(place, (place,)))

    def text(self, category: str, place: str) -> str:
        where = self.where(place)
        mixed = MIXED_TEMPLATES.get(category, ())
        if mixed and self.rng.random() < self.mixed_share:
            return self.rng.choice(mixed).format(where=where)
        templates = TEMPLATES.get(category) or TEMPLATES["其他"]
        return self.rng.choice(templates).format(where=where)

    def consultation(self, place: str) -> str:
        return self.rng.choice(CONSULTATIONS).format(where=self.where(place))

    @staticmethod
    def follow_up(rng: random.Random, days: int) -> str:
        return rng.choice(FOLLOW_UP_TEMPLATES).format(days=max(1, days))

    @staticmethod
    def geo_point(rng: random.Random, place: str) -> tuple[float, float] | None:
        """A point near the area's centre (latitude, longitude), or None for an area without one."""
        centre = PLACE_CENTRES.get(place)
        if centre is None:
            return None
        j = GEO_JITTER_DEGREES
        return (round(centre[0] + rng.uniform(-j, j), 6), round(centre[1] + rng.uniform(-j, j), 6))
