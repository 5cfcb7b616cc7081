"""Chinese names for people and places, drawn with a caller-supplied ``random.Random``.

Faker is far too slow to call 600k times, so people are composed from frozen
surname/given-name pools with a cumulative-weight table and ``bisect``.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Callable

from data.demo_city.name_pool import FEMALE_GIVEN, MALE_GIVEN, SURNAMES

# Single characters for two-character given names, which the Faker pools lack.
_MALE_CHARS = tuple("子浩宇轩博文俊杰志明国建永海家德振新泽睿天晨思一嘉鹏昊正书恒涛")
_FEMALE_CHARS = tuple("雨欣梓涵佳怡思雅静婷雪丽嘉悦诗梦芳晓琳若馨月可萱语彤瑶琪紫妍")

_SURNAME_LIST = [name for name, _ in SURNAMES]
_SURNAME_CUM = list(itertools.accumulate(freq for _, freq in SURNAMES))

# Place-name morphemes in a Zhengzhou flavour.
ROADS = tuple(
    [
        "经三路",
        "经五路",
        "经七路",
        "经八路",
        "纬一路",
        "纬二路",
        "纬五路",
        "花园路",
        "文化路",
        "农业路",
        "东风路",
        "北环路",
        "金水路",
        "丰产路",
        "红专路",
        "黄河路",
        "南阳路",
        "国基路",
        "中州大道",
        "未来路",
        "姚砦路",
        "政七街",
        "健康路",
        "宏明路",
        "博学路",
        "商都路",
        "建设路",
        "中原路",
        "桐柏路",
        "嵩山路",
        "大学路",
        "航海路",
        "陇海路",
        "长江路",
        "淮河路",
        "京广路",
        "紫荆山路",
        "城东路",
        "郑汴路",
        "人民路",
        "二七路",
        "解放路",
        "大同路",
        "东明路",
        "优胜路",
        "工人路",
        "伏牛路",
        "秦岭路",
        "华山路",
        "须水河路",
        "科学大道",
        "莲花街",
        "金梭路",
        "玉兰街",
        "众意路",
        "如意西路",
    ]
)
_PLACE_WORDS = tuple(
    [
        "金水",
        "银河",
        "锦绣",
        "翠竹",
        "紫荆",
        "丹桂",
        "怡和",
        "和谐",
        "阳光",
        "幸福",
        "康桥",
        "名门",
        "建业",
        "正商",
        "鑫苑",
        "永威",
        "绿城",
        "美景",
        "天明",
        "百合",
        "枫林",
        "兰亭",
        "御景",
        "盛世",
        "书香",
        "青青",
        "华府",
        "世纪",
        "东方",
        "富田",
        "亚星",
        "升龙",
        "瀚海",
        "豫安",
        "中州",
        "嵩山",
        "黄河",
        "汇泉",
        "博雅",
        "康城",
        "铂悦",
        "君临",
        "凤凰",
        "锦江",
        "碧水",
        "春晓",
        "秋实",
        "明珠",
        "文博",
        "丽景",
        "顺河",
        "金桥",
        "柳林",
        "杨庄",
        "王庄",
        "陈寨",
        "张家",
        "李湾",
        "祥和",
        "永安",
        "民主",
        "胜利",
        "友爱",
        "光明",
        "青年",
        "红旗",
        "朝阳",
        "振兴",
        "兴隆",
        "长青",
        "百花",
        "牡丹",
        "月季",
        "荷花",
        "梧桐",
        "银杏",
        "学苑",
        "园丁",
        "农科",
        "黄委",
    ]
)
_COMMUNITY_SUFFIXES = ("", "", "", "新村", "里", "苑", "花园", "东", "西", "南", "北")
_COMPOUND_SUFFIXES = ("小区", "小区", "花园", "家园", "苑", "公寓", "新村", "雅居", "华庭", "嘉园")
_WORK_UNITS = tuple(
    [
        "国棉三厂",
        "国棉五厂",
        "郑州铁路局",
        "省建一公司",
        "水利厅",
        "电业局",
        "卷烟厂",
        "纺织机械厂",
        "郑州大学",
        "省农科院",
        "黄委会",
        "省人民医院",
        "煤炭设计院",
        "邮电局",
        "肉联厂",
        "第二砂轮厂",
        "省财政厅",
        "市一中",
    ]
)
_TOWN_WORDS = tuple(
    [
        "柳",
        "杨",
        "王",
        "李",
        "张",
        "刘",
        "马",
        "郭",
        "白",
        "石",
        "河",
        "岗",
        "沟",
        "坡",
        "店",
        "寨",
        "庄",
        "湾",
        "桥",
        "集",
    ]
)


def person_name(rng: random.Random, male: bool, surname: str | None = None) -> str:
    """A plausible full name; ``surname`` fixes the family name (children, fathers)."""
    if surname is None:
        surname = surname_for(rng)
    if rng.random() < 0.55:
        pool = MALE_GIVEN if male else FEMALE_GIVEN
        return surname + pool[int(rng.random() * len(pool))]
    chars = _MALE_CHARS if male else _FEMALE_CHARS
    return surname + chars[int(rng.random() * len(chars))] + chars[int(rng.random() * len(chars))]


def surname_for(rng: random.Random) -> str:
    """A surname with real-world frequency (王, 李, 张 most often)."""
    return _SURNAME_LIST[bisect.bisect_right(_SURNAME_CUM, rng.random() * _SURNAME_CUM[-1])]


def unique_name(make: Callable[[], str], used: set[str], tries: int = 40) -> str:
    """Call ``make`` until it returns an unused name; number it as a last resort.

    ``used`` is only probed, never iterated, so determinism does not depend on set order.
    """
    for _ in range(tries):
        name = make()
        if name not in used:
            used.add(name)
            return name
    base = make()
    for n in itertools.count(2):
        name = f"{base[:-2]}{n}{base[-2:]}" if len(base) > 2 else f"{base}{n}"
        if name not in used:
            used.add(name)
            return name
    raise AssertionError("unreachable")


def street_name(rng: random.Random, rural: bool) -> str:
    """A generated street office (or, in the counties, town) name."""
    if rural and rng.random() < 0.6:
        word = rng.choice(_TOWN_WORDS) + rng.choice(_TOWN_WORDS)
        return word + rng.choice(("镇", "镇", "乡"))
    return rng.choice(ROADS) + "街道"


def community_name(rng: random.Random) -> str:
    """A generated community name such as "丹桂里社区" or "经八路社区"."""
    if rng.random() < 0.3:
        return rng.choice(ROADS) + "社区"
    return rng.choice(_PLACE_WORDS) + rng.choice(_COMMUNITY_SUFFIXES) + "社区"


def compound_name(rng: random.Random) -> str:
    """A residential compound name: estate names and the classic 家属院."""
    if rng.random() < 0.18:
        return rng.choice(_WORK_UNITS) + "家属院"
    return rng.choice(_PLACE_WORDS) + rng.choice(_COMPOUND_SUFFIXES)


def road_address(rng: random.Random, district: str) -> str:
    """A street address like "郑州市金水区花园路83号"."""
    return f"郑州市{district}{rng.choice(ROADS)}{rng.randint(1, 299)}号"


#: mobile prefixes in the 13x / 15x / 18x ranges
PHONE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "180",
    "181",
    "182",
    "183",
    "184",
    "185",
    "186",
    "187",
    "188",
    "189",
]


def mobile_phone(rng: random.Random) -> str:
    """An 11-digit mainland mobile number."""
    return PHONE_PREFIXES[int(rng.random() * len(PHONE_PREFIXES))] + f"{rng.randrange(10**8):08d}"
