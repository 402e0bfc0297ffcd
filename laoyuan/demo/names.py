"""Synthetic names for the demo district: people, phones, streets, communities, compounds,
companies and agencies. Everything here draws from a ``random.Random`` passed in, never from
the global generator, so a seed gives the same names every time.

Street names are Guancheng's real streets; everything below them is made up from plausible parts.
"""

import random
from collections.abc import Iterator

DISTRICT_CODE = "410104"
DISTRICT_NAME = "管城回族区"

# Guancheng's streets. The first eight are the old town, where the unmanaged compounds and the
# street-run public companies are; the last four are the newer outskirts.
STREETS = (
    "北下街",
    "西大街",
    "南关",
    "城东路",
    "东大街",
    "二里岗",
    "陇海马路",
    "紫荆山南路",
    "航海东路",
    "十八里河",
    "南曹",
    "圃田",
)
CORE_STREETS = 8

# More Zhengzhou street names for districts larger than Guancheng (``--scale`` above 1).
EXTRA_STREETS = (
    "金岱",
    "商都路",
    "花园路",
    "人民路",
    "杜岭",
    "大石桥",
    "文化路",
    "丰产路",
    "东风路",
    "南阳路",
    "经八路",
    "未来路",
    "淮河路",
    "解放路",
    "铭功路",
    "一马路",
    "五里堡",
    "大学路",
    "建中街",
    "福华街",
    "德化街",
    "人和路",
    "长江路",
    "京广路",
    "绿东村",
    "林山寨",
    "建设路",
    "中原西路",
    "桐柏路",
    "三官庙",
    "秦岭路",
    "须水",
    "汝河路",
    "嵩山路",
    "碧沙岗",
    "棉纺路",
    "祭城路",
    "龙子湖",
    "博学路",
    "如意湖",
)

# The public companies' brands, in the order of the core streets that own them.
PUBLIC_BRANDS = ("隆美", "西美", "南关", "城东", "亮典", "岗兴", "陇海", "紫荆")

PROFESSIONAL_BRANDS = (
    "瑞祥",
    "华誉",
    "恒信",
    "安泰",
    "金盾",
    "嘉和",
    "宏达",
    "锦程",
    "佳美",
    "康宁",
    "德润",
    "豫安",
    "兴业",
    "同和",
    "福顺",
    "天成",
    "明德",
    "众联",
    "盛世",
    "宜居",
    "中原",
    "鼎泰",
    "永安",
    "润和",
    "长兴",
    "广厦",
    "新城",
    "华庭",
    "君安",
    "正和",
)

COMMUNITY_PARTS = (
    "书院街",
    "管城街",
    "顺城街",
    "商城路",
    "城南路",
    "紫荆山",
    "货站街",
    "东明路",
    "港湾路",
    "十里铺",
    "凤凰台",
    "豫丰",
    "文庙",
    "塔湾",
    "回民",
    "清真寺",
    "南学街",
    "北大街",
    "南大街",
    "西关",
    "东关",
    "熊儿河",
    "银莺",
    "经济路",
    "郑汴路",
    "陇海东",
    "航海中",
    "南三环",
    "二里岗东",
    "大学南",
    "铁英",
    "姚庄",
    "冯庄",
    "刘庄",
    "宋庄",
    "小李庄",
    "魏庄",
    "王胡砦",
    "河西袁",
    "潮河",
    "祥云",
    "明鸿",
    "五里堡",
    "玉凤",
    "圃田东",
    "南曹西",
    "十八里河东",
    "站马屯",
    "朱屯",
    "双湖",
    "金沙",
    "平安",
    "康宁",
    "和顺",
    "永安",
    "兴隆",
    "春晖",
    "朝阳",
    "新华",
    "红旗",
    "建新",
    "光明",
    "友谊",
    "团结",
    "胜利",
    "幸福",
    "和平",
    "振兴",
    "富民",
    "繁荣",
)
COMMUNITY_SUFFIXES = ("", "东", "西", "南", "北", "中", "新", "一", "二", "三")

ROADS = (
    "城东路",
    "东大街",
    "西大街",
    "南大街",
    "北大街",
    "书院街",
    "管城街",
    "商城路",
    "城南路",
    "紫荆山路",
    "陇海路",
    "航海路",
    "东明路",
    "未来路",
    "港湾路",
    "货站街",
    "南顺城街",
    "北顺城街",
    "十里铺街",
    "紫荆山南路",
    "二里岗街",
    "银莺路",
    "经济路",
    "郑汴路",
    "顺河路",
    "豫丰街",
    "南学街",
    "文庙街",
    "塔湾路",
    "熊儿河路",
    "长江东路",
    "中州大道",
    "城北路",
    "清真寺街",
    "魏庄街",
)

WORK_UNITS = (
    "市电业局",
    "郑州纺织机械厂",
    "郑州卷烟厂",
    "市煤建公司",
    "省建三公司",
    "市自来水公司",
    "郑州铁路分局",
    "区粮食局",
    "市第二砂轮厂",
    "郑州搪瓷厂",
    "市公交公司",
    "市第一建筑公司",
    "市商业局",
    "省地矿局",
    "市食品公司",
    "市邮电局",
    "郑州肉联厂",
    "郑州面粉厂",
    "市供销社",
    "区教育局",
    "市汽车运输公司",
    "郑州热电厂",
    "市园林局",
    "省水利厅",
    "郑州棉纺五厂",
    "郑州第二钢厂",
    "市环卫处",
    "市房管局",
    "市第三中学",
    "区人民医院",
    "省第二建筑公司",
    "郑州印染厂",
    "郑州油漆厂",
    "郑州电缆厂",
    "市二轻局",
    "市百货公司",
    "郑州火柴厂",
    "郑州啤酒厂",
    "市煤气公司",
    "市政工程处",
    "郑州机械研究所",
    "省冶金建设公司",
    "郑州水泵厂",
    "郑州造纸厂",
    "市物资局",
    "市交通局",
    "郑州铝制品厂",
    "区卫生局",
    "郑州第一人民医院",
    "市粮油公司",
)

ESTATE_WORDS = (
    "金城",
    "嘉园",
    "阳光",
    "和平",
    "幸福",
    "凤凰",
    "商都",
    "文庙",
    "明珠",
    "锦华",
    "绿云",
    "康乐",
    "兴华",
    "安居",
    "祥和",
    "东方",
    "华安",
    "银河",
    "春晖",
    "馨苑",
    "紫荆",
    "育才",
    "怡景",
    "福寿",
    "平安",
    "永和",
    "翠竹",
    "丰乐",
    "建业",
    "新华",
    "青年",
    "友谊",
    "光华",
    "书香",
    "古城",
    "城隍",
)
ESTATE_SUFFIXES = ("小区", "花园", "公寓", "新村", "苑", "家园", "里")

AGENCIES = (
    "区委办公室",
    "区政府办公室",
    "区纪委监委",
    "区委组织部",
    "区委宣传部",
    "区委统战部",
    "区委政法委",
    "区委社会工作部",
    "区发展改革委",
    "区教育局",
    "区科技工信局",
    "区民政局",
    "区司法局",
    "区财政局",
    "区人社局",
    "区自然资源局",
    "区住房保障局",
    "区城市管理局",
    "区交通运输局",
    "区农业农村局",
    "区商务局",
    "区文化广电旅游局",
    "区卫生健康委",
    "区退役军人事务局",
    "区应急管理局",
    "区审计局",
    "区市场监管局",
    "区统计局",
    "区医疗保障局",
    "区信访局",
    "区城市更新局",
    "区机关事务中心",
    "区人大办",
    "区政协办",
    "区总工会",
    "团区委",
    "区妇联",
    "区残联",
    "区税务局",
    "区融媒体中心",
)

# Common surnames, weighted roughly by frequency; 马、白、海、沙 are frequent among Guancheng's
# Hui families.
SURNAMES = (
    ("王", 72),
    ("李", 70),
    ("张", 68),
    ("刘", 54),
    ("陈", 43),
    ("杨", 30),
    ("赵", 22),
    ("黄", 18),
    ("周", 17),
    ("吴", 16),
    ("徐", 14),
    ("孙", 14),
    ("马", 30),
    ("胡", 12),
    ("朱", 12),
    ("郭", 14),
    ("何", 9),
    ("罗", 8),
    ("高", 11),
    ("林", 6),
    ("郑", 8),
    ("梁", 6),
    ("谢", 6),
    ("宋", 8),
    ("唐", 6),
    ("韩", 7),
    ("冯", 7),
    ("于", 6),
    ("董", 6),
    ("萧", 2),
    ("程", 6),
    ("曹", 6),
    ("袁", 5),
    ("邓", 5),
    ("许", 6),
    ("傅", 3),
    ("沈", 4),
    ("曾", 3),
    ("彭", 4),
    ("吕", 5),
    ("苏", 5),
    ("卢", 4),
    ("蒋", 4),
    ("蔡", 4),
    ("贾", 5),
    ("丁", 5),
    ("魏", 5),
    ("薛", 4),
    ("叶", 3),
    ("阎", 4),
    ("余", 3),
    ("潘", 3),
    ("杜", 4),
    ("戴", 3),
    ("夏", 3),
    ("钟", 2),
    ("汪", 2),
    ("田", 4),
    ("任", 4),
    ("姜", 3),
    ("范", 4),
    ("方", 3),
    ("石", 4),
    ("姚", 3),
    ("谭", 2),
    ("廖", 2),
    ("邹", 2),
    ("熊", 2),
    ("金", 3),
    ("陆", 2),
    ("郝", 3),
    ("孔", 3),
    ("白", 6),
    ("崔", 4),
    ("康", 3),
    ("毛", 3),
    ("邱", 2),
    ("秦", 3),
    ("江", 2),
    ("史", 3),
    ("顾", 2),
    ("侯", 3),
    ("邵", 2),
    ("孟", 3),
    ("龙", 1),
    ("万", 2),
    ("段", 3),
    ("雷", 2),
    ("钱", 2),
    ("汤", 2),
    ("尹", 2),
    ("黎", 1),
    ("易", 1),
    ("常", 3),
    ("武", 3),
    ("乔", 3),
    ("贺", 2),
    ("赖", 1),
    ("龚", 1),
    ("文", 2),
    ("海", 2),
    ("沙", 2),
    ("穆", 1),
    ("米", 1),
    ("哈", 1),
)

MALE_CHARS = (
    "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利"
    "清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功"
    "松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士"
    "以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
)
FEMALE_CHARS = (
    "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月"
    "莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪"
    "荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹"
    "霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝丽阳妮宝贝初程梵罡恒鸿桦骅剑娇纪宽苛灵玛媚琪晴容睿"
)

# Mobile prefixes in use in China (all match 1[3-9]x).
PHONE_PREFIXES = tuple(
    f"1{n}"
    for n in (
        *range(30, 40),
        *(45, 47),
        *(50, 51, 52, 53, 55, 56, 57, 58, 59),
        *(66, 71, 73, 75, 76, 77, 78),
        *range(80, 90),
        *(91, 93, 95, 98, 99),
    )
)

_SURNAME_CHOICES = [s for s, _ in SURNAMES]
_SURNAME_CUM: list[int] = []
_total = 0
for _, _weight in SURNAMES:
    _total += _weight
    _SURNAME_CUM.append(_total)


def surname(rng: random.Random) -> str:
    return rng.choices(_SURNAME_CHOICES, cum_weights=_SURNAME_CUM)[0]


def given_name(rng: random.Random, *, female: bool) -> str:
    chars = FEMALE_CHARS if female else MALE_CHARS
    if rng.random() < 0.3:
        return rng.choice(chars)
    return rng.choice(chars) + rng.choice(chars)


def person_name(
    rng: random.Random, *, family: str | None = None, female: bool | None = None
) -> str:
    """A full name; ``family`` keeps a household's surname (children take the father's)."""
    if female is None:
        female = rng.random() < 0.5
    return (family or surname(rng)) + given_name(rng, female=female)


class PhoneBook:
    """Hands out distinct synthetic mobile numbers."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def new(self, rng: random.Random) -> str:
        while True:
            number = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
            if number not in self.used:
                self.used.add(number)
                return number


def street_names(count: int) -> list[str]:
    """``count`` street names: Guancheng's own first, then other Zhengzhou streets."""
    pool = list(STREETS) + list(EXTRA_STREETS)
    names = []
    for index in range(count):
        base = pool[index % len(pool)]
        cycle = index // len(pool)
        names.append(f"{base}{'' if cycle == 0 else _ordinal(cycle + 1)}街道")
    return names


def _ordinal(n: int) -> str:
    """Chinese numerals for 1-99 (二, 十二, 三十五); larger numbers stay in digits."""
    digits = "〇一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else digits[tens]) + "十" + ("" if ones == 0 else digits[ones])
    return str(n)


class UniqueNames:
    """Draws names from a generator function until one is new."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, candidates: Iterator[str]) -> str:
        for name in candidates:
            if name not in self.used:
                self.used.add(name)
                return name
        raise RuntimeError("name candidates exhausted")  # pragma: no cover


def community_candidates(rng: random.Random) -> Iterator[str]:
    for attempt in range(10_000):
        part = rng.choice(COMMUNITY_PARTS)
        suffix = COMMUNITY_SUFFIXES[min(attempt // 40, len(COMMUNITY_SUFFIXES) - 1)]
        if attempt >= 400:
            suffix += str(attempt)
        yield f"{part}{suffix}社区"


def compound_candidates(rng: random.Random) -> Iterator[tuple[str, str, str]]:
    """(name, address, property-rights unit or "") candidates for a compound."""
    for attempt in range(10_000):
        road = rng.choice(ROADS)
        number = rng.randint(1, 199)
        address = f"{road}{number}号"
        kind = rng.random()
        if kind < 0.4:
            unit = rng.choice(WORK_UNITS)
            name = f"{unit}家属院"
            if attempt >= 20:
                name = f"{unit}{road}家属院"
            yield name, address, unit
        elif kind < 0.75:
            yield f"{road}{number}号院", address, ""
        else:
            name = rng.choice(ESTATE_WORDS) + rng.choice(ESTATE_SUFFIXES)
            if attempt >= 20:
                name = f"{rng.choice(ESTATE_WORDS)}{name}"
            yield name, address, ""


def professional_company_names(count: int) -> list[str]:
    names = []
    for index in range(count):
        brand = PROFESSIONAL_BRANDS[index % len(PROFESSIONAL_BRANDS)]
        cycle = index // len(PROFESSIONAL_BRANDS)
        region = ("河南", "郑州")[index % 2]
        extra = "" if cycle == 0 else _ordinal(cycle + 1)
        names.append(f"{region}{brand}{extra}物业服务有限公司")
    return names


def public_company_name(street_position: int, cycle: int) -> tuple[str, str]:
    """(brand, full name) of the public company of the core street at ``street_position``."""
    brand = PUBLIC_BRANDS[street_position % len(PUBLIC_BRANDS)]
    if cycle:
        brand += _ordinal(cycle + 1)
    return brand, f"郑州{brand}物业服务有限公司"


def agency_branch_names(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(agency, branch name) for ``count`` agency party branches, spread over the agencies."""
    cap = max(8, 2 * -(-count // len(AGENCIES)))
    per_agency = [1] * len(AGENCIES)
    remaining = count - len(AGENCIES)
    if remaining < 0:
        per_agency = [1] * count + [0] * (len(AGENCIES) - count)
        remaining = 0
    while remaining > 0:
        index = rng.randrange(len(AGENCIES))
        if per_agency[index] < cap:
            per_agency[index] += 1
            remaining -= 1
    result = []
    for agency, n in zip(AGENCIES, per_agency, strict=True):
        for k in range(n):
            label = "机关党支部" if n == 1 else f"第{_ordinal(k + 1)}党支部"
            result.append((agency, f"{agency}{label}"))
    return result
