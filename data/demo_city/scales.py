"""The three demo scales: where the city lies, its districts and the exact totals.

District codes are the GB/T 2260 codes of Zhengzhou (4101xx); the four functional
zones (郑东新区, 高新区, 经开区, 航空港区) have no county code of their own, so they get
4101 7x codes in the style of the statistics bureau's zone codes.
"""

from __future__ import annotations

from dataclasses import dataclass

from data.demo_city.geometry import Rect, rect_from_degrees

CITY_NAME = "郑州市"
CITY_CODE = "410100"


@dataclass(frozen=True, slots=True)
class DistrictSpec:
    """A district: real name and code, rough real centre, share of the city."""

    name: str
    code: str
    lat: float
    lon: float
    #: relative number of streets (level-1 grids)
    streets: float
    #: relative share of the demo box: roughly the km² of the district that falls inside
    #: it (巩义/登封/新密/新郑 lie mostly outside the real box, so they get a sliver)
    area: float
    #: real street / town names, used first
    street_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ScaleSpec:
    """Everything that differs between scales; counts are exact totals."""

    name: str
    box: Rect
    districts: tuple[DistrictSpec, ...]
    streets: int
    communities: int
    grids: int
    staff: int
    residents: int
    #: spread of the per-community grid counts (0: all equal)
    grid_spread: float


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


JINSHUI = DistrictSpec(
    "金水区",
    "410105",
    34.80,
    113.69,
    17,
    242,
    _names(
        "经八路街道 花园路街道 文化路街道 丰产路街道 人民路街道 杜岭街道 大石桥街道 南阳路街道"
        " 南阳新村街道 东风路街道 北林路街道 未来路街道 凤凰台街道 兴达路街道 国基路街道"
        " 杨金路街道 丰庆路街道 老鸦陈街道 龙子湖街道 祭城路街道"
    ),
)

ZHENGZHOU_DISTRICTS: tuple[DistrictSpec, ...] = (
    JINSHUI,
    DistrictSpec(
        "中原区",
        "410102",
        34.75,
        113.60,
        13,
        193,
        _names(
            "林山寨街道 建设路街道 棉纺路街道 秦岭路街道 桐柏路街道 三官庙街道 绿东村街道"
            " 汝河路街道 航海西路街道 中原西路街道 须水街道 莲湖街道"
        ),
    ),
    DistrictSpec(
        "二七区",
        "410103",
        34.72,
        113.63,
        16,
        156,
        _names(
            "淮河路街道 解放路街道 铭功路街道 一马路街道 蜜蜂张街道 五里堡街道 大学路街道"
            " 建中街街道 福华街街道 德化街街道 嵩山路街道 京广路街道 长江路街道 人和路街道"
            " 侯寨乡 马寨镇"
        ),
    ),
    DistrictSpec(
        "管城回族区",
        "410104",
        34.74,
        113.69,
        12,
        204,
        _names(
            "北下街街道 西大街街道 南关街道 城东路街道 东大街街道 二里岗街道 陇海马路街道"
            " 紫荆山南路街道 航海东路街道 商都路街道 十八里河街道 南曹街道"
        ),
    ),
    DistrictSpec(
        "惠济区",
        "410108",
        34.87,
        113.62,
        8,
        232,
        _names("新城街道 刘寨街道 长兴路街道 迎宾路街道 大河路街道 花园口镇 古荥镇 江山路街道"),
    ),
    DistrictSpec(
        "上街区",
        "410106",
        34.80,
        113.30,
        6,
        65,
        _names("济源路街道 中心路街道 新安路街道 工业路街道 矿山街道 峡窝镇"),
    ),
    DistrictSpec(
        "郑东新区",
        "410174",
        34.77,
        113.76,
        8,
        230,
        _names("如意湖街道 龙湖街道 博学路街道 金光路街道 白沙镇 豫兴街道 商都路东街道 圃田乡"),
    ),
    DistrictSpec(
        "高新区",
        "410172",
        34.82,
        113.55,
        5,
        99,
        _names("石佛街道 沟赵街道 双桥街道 枫杨街道 梧桐街道"),
    ),
    DistrictSpec(
        "经开区",
        "410171",
        34.71,
        113.75,
        6,
        160,
        _names("明湖街道 潮河街道 京航街道 九龙街道 前程街道 祥云街道"),
    ),
    DistrictSpec(
        "航空港区",
        "410173",
        34.53,
        113.84,
        10,
        300,
        _names("新港街道 滨河街道 张庄街道 八岗街道 龙王街道 银河街道 冯堂街道 明港街道"),
    ),
    DistrictSpec(
        "巩义市",
        "410181",
        34.75,
        113.02,
        20,
        150,
        _names(
            "新华路街道 杜甫路街道 永安路街道 孝义街道 紫荆路街道 米河镇 回郭镇 小关镇"
            " 竹林镇 大峪沟镇 河洛镇 站街镇 康店镇 北山口镇 西村镇 芝田镇 鲁庄镇 夹津口镇 涉村镇"
        ),
    ),
    DistrictSpec(
        "荥阳市",
        "410182",
        34.79,
        113.38,
        14,
        450,
        _names(
            "京城路街道 索河街道 乔楼镇 豫龙镇 广武镇 高山镇 刘河镇 王村镇 汜水镇"
            " 贾峪镇 崔庙镇 城关乡 高村乡"
        ),
    ),
    DistrictSpec(
        "新密市",
        "410183",
        34.52,
        113.39,
        17,
        200,
        _names(
            "青屏街街道 新华路街道 西大街街道 城关镇 米村镇 牛店镇 平陌镇 超化镇 苟堂镇"
            " 大隗镇 刘寨镇 白寨镇 岳村镇 来集镇 曲梁镇 袁庄乡"
        ),
    ),
    DistrictSpec(
        "新郑市",
        "410184",
        34.40,
        113.74,
        14,
        250,
        _names(
            "新建路街道 新华路街道 新烟街道 和庄镇 薛店镇 孟庄镇 郭店镇 龙湖镇 辛店镇"
            " 梨河镇 观音寺镇 城关乡 八千乡"
        ),
    ),
    DistrictSpec(
        "登封市",
        "410185",
        34.46,
        113.05,
        17,
        120,
        _names(
            "少林街道 嵩阳街道 中岳街道 大金店镇 告成镇 卢店镇 阳城工业区 唐庄乡 石道乡"
            " 宣化镇 徐庄镇 颍阳镇 君召乡 送表矿区 白坪乡 东华镇"
        ),
    ),
    DistrictSpec(
        "中牟县",
        "410122",
        34.72,
        114.02,
        15,
        500,
        _names(
            "青年路街道 东风路街道 广惠街街道 狼城岗镇 万滩镇 韩寺镇 官渡镇 姚家镇"
            " 雁鸣湖镇 三官庙镇 刘集镇 大孟镇 九龙镇 黄店镇"
        ),
    ),
)

#: districts whose codes a household from elsewhere in the city may carry
ZHENGZHOU_DISTRICT_CODES: tuple[str, ...] = tuple(d.code for d in ZHENGZHOU_DISTRICTS)

SCALES: dict[str, ScaleSpec] = {
    # A few square kilometres around 经八路/花园路: one street of 金水区.
    "small": ScaleSpec(
        name="small",
        box=rect_from_degrees(34.765, 113.660, 34.795, 113.700),
        districts=(JINSHUI,),
        streets=1,
        communities=4,
        grids=40,
        staff=200,
        residents=2_000,
        grid_spread=0.0,
    ),
    # All of 金水区.
    "city": ScaleSpec(
        name="city",
        box=rect_from_degrees(34.740, 113.620, 34.860, 113.780),
        districts=(JINSHUI,),
        streets=12,
        communities=96,
        grids=1_000,
        staff=3_000,
        residents=50_000,
        grid_spread=0.5,
    ),
    # The whole city with the Zhengzhou platform's published grid figures.
    "zhengzhou": ScaleSpec(
        name="zhengzhou",
        box=rect_from_degrees(34.550, 113.350, 35.000, 114.000),
        districts=ZHENGZHOU_DISTRICTS,
        streets=198,
        communities=2_997,
        grids=17_350,
        staff=85_319,
        residents=599_174,
        grid_spread=0.5,
    ),
}


def get_scale(name: str) -> ScaleSpec:
    """Look a scale up by name, with a clear error for anything else."""
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(
            f"unknown demo scale {name!r}; choose one of: {', '.join(SCALES)}"
        ) from None
