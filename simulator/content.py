"""What citizens write and who they are.

Faker's zh_CN provider gives realistic names, but its addresses are random
provinces and its lorem text is not Chinese anyone writes, and its phone
prefixes include ranges that did not exist in 2014.  So: Faker for names, our
own Changping landmarks and per-category complaint templates for the text,
and 2014 mobile prefixes for phone numbers.

Some templates deliberately mention a second subject (a car park in a park,
rubbish at a bus stop): keyword classification then disagrees with the true
category now and then, as it does in reality, and misrouting is measurable.
"""

from __future__ import annotations

import random

from faker import Faker

__all__ = ["Author", "ContentGenerator", "LANDMARKS", "TEMPLATES", "PHONE_PREFIXES_2014"]

# Mobile prefixes allocated by 2014 (China Mobile, Unicom, Telecom); no 16x/19x.
PHONE_PREFIXES_2014 = (
    "134 135 136 137 138 139 147 150 151 152 157 158 159 178 182 183 184 187 188 "
    "130 131 132 145 155 156 176 185 186 133 153 177 180 181 189"
).split()

# A few well-known residential areas and landmarks per area (2014 names).
LANDMARKS: dict[str, tuple[str, ...]] = {
    "城北": ("鼓楼南街", "西关环岛", "昌平公园东门", "政府街"),
    "城南": ("昌平新城", "南环路", "旧县村", "亢山广场"),
    "天通苑北": ("天通苑北一区", "天通苑北二区", "天通苑北三区", "太平家园"),
    "天通苑南": ("天通西苑", "天通东苑", "天通中苑", "天通苑地铁站"),
    "霍营": ("霍营地铁站", "华龙苑", "龙锦苑东", "霍营村"),
    "回龙观": ("龙泽苑", "龙跃苑", "流星花园", "新龙城", "回龙观西大街", "育知东路"),
    "东小口": ("东小口森林公园", "贺村", "中滩村", "芦村"),
    "沙河": ("沙河高教园", "巩华城", "沙河镇中心", "于新庄"),
    "北七家": ("北七家镇政府", "王府街", "平西府", "东三旗"),
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

# Per true category: complaint templates.  {where} is a landmark of the post's place.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "环境卫生": (
        "{where}的垃圾已经堆了好几天没人清运，天热臭味很大，希望尽快处理。",
        "{where}附近垃圾桶满了一直没人管，苍蝇到处都是。",
        "{where}路边有人倾倒建筑垃圾，脏乱不堪。",
        "{where}公交站旁边的垃圾堆好几天了，等车都受不了。",
        "{where}污水横流，雨后臭味熏天，请有关部门看看。",
    ),
    "园林绿化": (
        "{where}公园里的树木被人砍了好几棵，有没有人管？",
        "{where}的绿地被人占了种菜，绿化带都毁了。",
        "{where}公园停车场收费不合理，请园林部门解释一下。",
        "{where}草坪好久没人修剪，杂草丛生。",
        "{where}小区门口的大树枝干快断了，很危险。",
    ),
    "停车/交通": (
        "{where}门口违停严重，早晚高峰堵车堵得走不动。",
        "{where}的红绿灯坏了好几天，路口很危险。",
        "{where}公交车班次太少，早上等半小时都上不去。",
        "{where}路面坑洼不平，电动车摔了好几次。",
        "{where}附近公园门口乱停车，把消防通道都堵了。",
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
    ),
}

# Non-actionable posts: questions and thanks the desk answers directly.
CONSULTATIONS = (
    "请问{where}附近的办事大厅周末开门吗？",
    "感谢{where}的工作人员，问题已经解决了，点赞！",
    "{where}今天的活动几点开始？",
)


class Author:
    __slots__ = ("name", "phone", "handle", "openid")

    def __init__(self, name: str, phone: str, handle: str, openid: str) -> None:
        self.name, self.phone, self.handle, self.openid = name, phone, handle, openid


class ContentGenerator:
    """Seeded generator of authors and post text; owns its own Faker instance.

    Names and handles come from Faker, drawn once into pools (Faker costs
    ~0.2 ms a name, which dominates a megacity run); each author is a seeded
    draw from the pools plus their own phone number and WeChat openid.
    """

    POOL = 4000

    def __init__(self, rng: random.Random, seed: int) -> None:
        self.rng = rng
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self._names: list[str] = []
        self._handles: list[str] = []

    def author(self) -> Author:
        if len(self._names) < self.POOL:  # fill lazily so short runs pay only for what they use
            self._names.append(self.fake.name())
            self._handles.append(self.fake.user_name())
            name, base = self._names[-1], self._handles[-1]
        else:
            name, base = self.rng.choice(self._names), self.rng.choice(self._handles)
        phone = self.rng.choice(PHONE_PREFIXES_2014) + f"{self.rng.randrange(10**8):08d}"
        handle = base + str(self.rng.randrange(100, 10000))
        openid = "o" + "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
                               for _ in range(27))
        return Author(name, phone, handle, openid)

    def text(self, category: str, place: str) -> str:
        where = self.rng.choice(LANDMARKS.get(place, (place,)))
        templates = TEMPLATES.get(category) or TEMPLATES["其他"]
        return self.rng.choice(templates).format(where=where)

    def consultation(self, place: str) -> str:
        where = self.rng.choice(LANDMARKS.get(place, (place,)))
        return self.rng.choice(CONSULTATIONS).format(where=where)
