"""The pain-point lexicon: complaint words of Chinese product reviews and the themes they normalise to.

Written from how buyers complain across categories (appliances, furniture and outdoor gear, clothing, food and
drink, electronics and accessories, cosmetics, pet supplies), not from any one data set: 质量差 / 做工粗糙 /
用料差 are one problem for a shop operator (质量), as are 漏电 / 触电 / 麻手 (安全) or 发货慢 / 物流慢 (物流).

Each `Theme` lists the ways a complaint about it shows up in a clause, because Chinese complaints take different
shapes that need different evidence:

- `aspects`: nouns (or nominal verbs) naming the thing; a generic complaint about them is this theme
  (质量 + 差, 发货 + 慢, 噪音 + 大). A themed aspect decides the theme of generic and weak words.
- `complaints`: words that are complaints of this theme on their own, whatever the aspect (漏电, 掉漆, 起球).
- `hints`: complaint words whose theme an aspect may override (断: 易损 for a cable, 稳固 for a chair leg).
- `negated`: positive words whose negation is a complaint of this theme (不稳, 没瘦, 不顶饱).
- `lacking`: nouns whose absence is a complaint (没效果, 没电).
- `present`: nouns whose presence after 有/一股/带 is a complaint (有味道, 有噪音), though they are neutral alone.
- `bad_directions`: scalar adjectives that are complaints about this theme's aspects without 太/偏/有点
  (噪音 + 大, 价格 + 高); elsewhere a scalar adjective needs such an excess marker (太重, 偏小).
- `product`: whether the theme is about the product itself (False for logistics, service, price and packaging),
  which the differentiation-opportunity rule needs: better products do not fix slow couriers.

Words here are matched on jieba tokens and on runs of up to four adjacent tokens, so 搓泥 matches even when
jieba cuts it into 搓 / 泥; they need no entry in jieba's dictionary. Words that jieba merges with a neighbour
(太贵, 速度慢, 不漏水) are split back by peeling known prefixes and suffixes in `nlp.painpoints`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    name: str
    description: str
    aspects: frozenset[str] = frozenset()
    complaints: frozenset[str] = frozenset()
    hints: frozenset[str] = frozenset()
    negated: frozenset[str] = frozenset()
    lacking: frozenset[str] = frozenset()
    present: frozenset[str] = frozenset()
    bad_directions: frozenset[str] = frozenset()
    product: bool = True


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _theme(name: str, description: str, *, product: bool = True, **fields: str) -> Theme:
    return Theme(name, description, product=product, **{key: _words(value) for key, value in fields.items()})


THEMES: tuple[Theme, ...] = (
    _theme(
        "质量", "overall quality, materials and workmanship; broken or dead on arrival",
        aspects="质量 品质 做工 材质 用料 工艺 质感 材料 细节",
        complaints="劣质 粗制滥造 偷工减料 次品 残次品 三无 一分钱一分货 毛刺 线头 毛边 用坏 坏掉 报废 罢工 故障 "
                   "返修 质量问题 粗糙 廉价感 塑料感 容易坏 开焊 脱焊 便宜没好货 开线 脱线",
        hints="坏 坏了 没反应 变形",
        negated="耐用 结实 经用 工作 出水 转 亮 启动 精致",
        present="缝隙",
    ),
    _theme(
        "稳固", "structure and stability: wobbling, collapsing, loose joints, weak load bearing",
        aspects="承重 结构 支架 架子 椅腿 桌腿 腿 脚 底座 框架 骨架 螺丝 铆钉 关节 连接处 焊点 稳定性 支撑 横杆 "
                "椅背 靠背 扶手",
        complaints="散架 摇晃 晃动 晃悠 晃荡 晃 歪 塌 塌了 坍塌 倒塌 侧翻 松垮",
        hints="弯了 压弯",
        negated="稳 稳固 稳当 牢固 牢靠",
        bad_directions="松",
    ),
    _theme(
        "易损", "fragile: breaks, tears, cracks or wears through quickly",
        aspects="线身 线皮 外皮 接头处 线材 寿命",
        complaints="易断 断裂 折断 断芯 开裂 裂纹 裂缝 磨破 磨损 开胶 脱胶 撕裂 断线 碎了 摔碎 一碰就坏 "
                   "容易断",
        hints="断 断了 裂 裂开 破了 破 碎 掉了 折了 破皮",
        negated="耐磨 耐折 耐弯折 抗摔",
    ),
    _theme(
        "外观", "appearance defects: paint, rust, scratches, stains, colour differences",
        aspects="外观 颜色 漆 漆面 涂层 表面 颜值 镀层 图案 印花 logo 字迹",
        complaints="掉漆 脱漆 生锈 锈 锈迹 锈斑 长锈 划痕 刮痕 刮花 划花 色差 褪色 掉色 瑕疵 污渍 污点 脏 脏污 "
                   "氧化 起皮 掉皮 斑点 黑点 二手 旧的 凹痕 磕碰 磕痕 刮伤",
        hints="丑 难看 土 廉价 发黄 发黑 变色",
        negated="好看 漂亮 美观 干净 新",
        present="印子 气泡 灰",
    ),
    _theme(
        "尺寸", "size, fit and length: too small, too big, too short, not as measured",
        aspects="尺寸 尺码 大小 码数 码 长度 宽度 高度 线长 个头 座面 座位 坐垫 空间 版型 腰围 袖长 裤长",
        complaints="偏大 偏小 偏短 偏长 偏窄 坐不下 挤 憋屈 勒 卡脖子 大一码 小一码 尺码不准",
        negated="合身 合适 标准",
        bad_directions="小 短 矮 窄 紧",
    ),
    _theme(
        "重量", "too heavy or bulky to carry",
        aspects="重量 分量感 自重 体积",
        complaints="笨重 死沉 沉重 压手 坠手 带不动",
        hints="很重 很沉 挺重 挺沉 好重 好沉",
        negated="轻 轻便 便携 轻巧",
        bad_directions="重 沉 大",
    ),
    _theme(
        "舒适", "comfort when sitting, wearing or using",
        aspects="坐感 舒适度 脚感 佩戴感 体感 手感 睡感",
        complaints="硌 硌得慌 硌屁股 磨脚 夹脚 压耳朵 耳朵疼 腰疼 屁股疼 累 坐着累",
        negated="舒服 舒适 舒坦",
        bad_directions="硬",
    ),
    _theme(
        "口感", "taste and texture of food and drink",
        aspects="口感 口味 味道 风味 甜度 口味儿 味",
        complaints="难喝 难吃 难以下咽 齁 齁甜 甜腻 腻 发苦 苦 涩 腥 腥味 寡淡 没味 淡而无味 颗粒感 粉感 结块 "
                   "冲不开 拉嗓子 凉了 冷了",
        hints="怪 奇怪",
        negated="好喝 好吃 香 可口",
        present="颗粒 渣 沉淀",
        bad_directions="咸 稀 酸 凉 冷",
    ),
    _theme(
        "异味", "smell: plastic, glue, formaldehyde or off odours",
        aspects="气味 味儿 味道 味",
        complaints="异味 怪味 臭味 塑料味 胶味 甲醛味 化学味 油漆味 橡胶味 霉味 刺鼻 难闻 臭 "
                   "臭臭的 熏 熏人 呛 呛人 甲醛",
        present="味道 味 气味",
        bad_directions="大 重 冲 浓",
    ),
    _theme(
        "噪音", "noise: loud motors and pumps, humming, creaking",
        aspects="噪音 噪声 声音 响声 动静 杂音 电流声 电机声 水泵声 风声 分贝",
        complaints="吵 吵人 吵死 嗡嗡 嗡嗡响 嗡嗡声 异响 咔咔响 咯吱 咯吱响 吱吱响 吱呀 嘎吱 滋滋响 轰轰",
        hints="睡不着 失眠 响",
        negated="静音 安静",
        present="噪音 噪声 声音 杂音 电流声 响声",
        bad_directions="大 高",
    ),
    _theme(
        "安全", "safety hazards: electric shock, short circuits, fire, swelling batteries, sharp edges",
        aspects="安全 安全性 电线 电源线",
        complaints="漏电 触电 麻手 电手 电人 电到 被电 短路 起火 着火 冒烟 冒火花 火花 打火 烧焦 烧了 烧坏 爆炸 炸了 "
                   "鼓包 自燃 跳闸 割手 划手 扎手 安全隐患 危险 焦味 烧焦味 糊味",
        hints="不敢用 不敢再用",
        negated="安全",
        present="隐患",
    ),
    _theme(
        "漏水", "leaks: water, liquid or air escaping, poor seals",
        aspects="密封 密封性 密封圈",
        complaints="漏水 渗水 漏液 漏气 渗漏 滴水 漏油 溢水 漏 往外渗 漏了一地",
        negated="密封 防水",
    ),
    _theme(
        "清洁", "hard to clean or maintain: dead corners, scale, slime",
        aspects="清洗 清洁 拆洗 打理 清理 刷洗",
        complaints="难清洗 难洗 难清理 难打理 死角 藏污纳垢 水垢 青苔 发黏 滑腻 黏糊糊 不好洗 不好清洗 不好清理",
        negated="好洗 好清洗 好清理 易清洗",
    ),
    _theme(
        "耗材", "consumables and spare parts: filters, heads and refills that cost too much or are hard to get",
        aspects="滤芯 耗材 配件 刷头 替换装 滤网 滤棉 补充装 墨盒 更换",
        complaints="难买 买不到 不好买 经常换 频繁更换 换得勤 三天两头换 要一直买",
        bad_directions="贵 高",
    ),
    _theme(
        "续航", "battery capacity and life; capacity overstated",
        aspects="续航 电量 容量 电池 待机 毫安 电池容量 续航时间",
        complaints="掉电 掉电快 不耐电 不禁用 没电快 用不久 充一次 充不满一次",
        hints="虚标",
        lacking="电",
        bad_directions="短 少 小 低",
    ),
    _theme(
        "充电", "charging: slow, not charging, fast charging not working",
        aspects="充电 充电速度 快充 充电功率 功率 回电 充电口 充",
        complaints="充不进 充不上 充不满 充不了 不支持快充 快充没用 充半天 充电时间长",
        negated="充电 快充",
        bad_directions="低 小",
    ),
    _theme(
        "发热", "overheating while charging or in use",
        aspects="温度 发热量",
        complaints="发烫 发热 烫手 过热 烫 滚烫",
        bad_directions="高 热",
    ),
    _theme(
        "连接", "connections: loose plugs, intermittent contact, pairing and recognition failures",
        aspects="接口 插口 插座 连接 蓝牙 信号 配对 兼容 识别",
        complaints="接触不良 时断时续 断断续续 时好时坏 时充时不充 时亮时不亮 时连时不连 时灵时不灵 断连 连不上 "
                   "连接不上 插不紧 插不进 插不稳 一碰就断 "
                   "识别不了 无法识别 掉线",
        hints="断开",
        negated="兼容 识别 匹配 稳定",
        lacking="信号",
        bad_directions="松",
    ),
    _theme(
        "卡顿", "sluggish or crashing electronics and apps",
        aspects="系统 软件 app 反应 屏幕 触屏 按键",
        complaints="卡顿 卡 死机 闪退 重启 延迟 反应慢 失灵 黑屏 花屏 卡死",
        negated="灵敏 流畅",
    ),
    _theme(
        "使用", "hard to use, assemble, fold or operate",
        aspects="安装 操作 组装 折叠 收纳 拆装 说明书 收起 展开 使用",
        complaints="难用 难装 难折叠 难收 收不起来 打不开 合不上 拉不动 不会用 看不懂 复杂",
        hints="别扭 装不上 装不上去",
        negated="好用 方便 顺手 简单",
    ),
    _theme(
        "效果", "efficacy: does not work as promised (slimming, cleaning, cooling, skincare effects)",
        aspects="效果 作用 功效 减肥效果 吸力 制冷 过滤效果 保湿 美白 祛痘 控油 遮瑕 持妆 体重 体脂 腰围",
        complaints="没用 没啥用 没什么用 无效 反弹 胖了 长胖 智商税 交智商税 一斤没掉 一斤没少 一两没掉",
        hints="鸡肋 白买",
        negated="瘦 掉秤 有效 管用 有用 明显 见效 保湿 保温 制冷 吸尘 过滤",
        lacking="效果 作用 变化 感觉 吸力",
        bad_directions="小 没变 没掉 没降 没减 没少 不降 不掉",
    ),
    _theme(
        "新鲜", "freshness and hygiene of food: spoiled, expired, foreign bodies",
        aspects="保质期 日期 生产日期 新鲜度",
        complaints="变质 过期 临期 快过期 发霉 霉变 馊 馊了 生虫 虫子 异物 头发丝 胀袋",
        negated="新鲜",
        present="虫 头发",
    ),
    _theme(
        "饱腹感", "satiety of meal replacements and diet food",
        aspects="饱腹感 饱腹 饱腹效果",
        complaints="饿得快 容易饿 很快就饿 很快饿 还是饿 饿 饿死 饿得慌 吃不饱 喝不饱",
        negated="饱 顶饱 抗饿 扛饿 管饱 顶饿 耐饿",
        lacking="饱腹感 饱腹",
    ),
    _theme(
        "肠胃", "digestive reactions to food and supplements",
        aspects="肠胃 肚子 胃",
        complaints="拉肚子 腹泻 胀气 肚子疼 肚子痛 胃疼 胃痛 胃不舒服 肚子不舒服 想吐 反胃 便秘 上火 不消化 "
                   "跑厕所 肚子胀",
        hints="恶心",
    ),
    _theme(
        "过敏", "skin reactions and irritation (cosmetics, fabrics, food)",
        aspects="皮肤 过敏反应",
        complaints="过敏 起疹子 疹子 泛红 发红 刺痛 烂脸 长痘 闷痘 爆痘 刺激 辣眼睛 瘙痒 发痒 痒 红肿 脱皮",
    ),
    _theme(
        "肤感", "cosmetics texture on the skin",
        aspects="肤感 质地 吸收",
        complaints="搓泥 黏腻 粘腻 厚重 假白 卡粉 浮粉 拔干 糊脸 起皮屑",
        negated="吸收 清爽 水润",
        bad_directions="油 干 黏 厚",
    ),
    _theme(
        "面料", "fabric of clothing and textiles: pilling, shedding, shrinking, scratchy",
        aspects="面料 布料 料子 布 衣料 网布",
        complaints="起球 掉毛 起皱 扎人 扎皮肤 闷热 掉絮 跑绒 钻绒 静电 透光 起毛",
        hints="缩水 闷",
        negated="透气 亲肤 柔软",
        bad_directions="薄 硬 透 粗",
    ),
    _theme(
        "包装", "packaging: damaged, crushed, leaking, shabby",
        aspects="包装 外包装 盒子 包装盒 箱子 纸箱 袋子 封口 罐子 瓶子 包装袋",
        complaints="压扁 压坏 漏粉 撒了 撒一地 简陋 破损 没封口 封口开了 开封了 被拆过 二次包装",
        hints="瘪",
        negated="严实 完好",
        product=False,
    ),
    _theme(
        "物流", "shipping and delivery: slow, late, lost or wrong items",
        aspects="发货 物流 快递 送货 配送 到货 派送 快递员 送达 运输 发货速度 物流速度 中转 中转站",
        complaints="迟迟不发 迟迟不发货 拖着不发 催了 催发货 丢件 漏发 发错 发错货 少发 送错 几天才到 一周才到 "
                   "半个月才到 好几天才到 还没到 没到货 没收到 还没收到 迟迟没到",
        negated="发货 送到 送货",
        bad_directions="晚 迟",
        product=False,
    ),
    _theme(
        "服务", "customer service and after-sales",
        aspects="客服 售后 服务 态度 商家 卖家 店家 退货 退款 换货",
        complaints="不理人 不回 爱答不理 敷衍 推脱 推卸 甩锅 不给退 不给换 拒绝退货 不退款",
        negated="回复 处理 理 退 给退 负责",
        lacking="人理 回应 售后",
        product=False,
    ),
    _theme(
        "价格", "price and value for money",
        aspects="价格 性价比 价钱 价位 售价",
        complaints="买贵了 降价了 坑钱 溢价",
        hints="贵了",
        negated="值 值得 划算 实惠",
        bad_directions="贵 高",
        product=False,
    ),
    _theme(
        "描述不符", "not as described or pictured; fakes",
        aspects="描述 图片 实物 宣传 详情页 参数",
        complaints="货不对板 图文不符 假货 高仿 山寨 虚假宣传 以次充好",
        hints="不符",
        negated="符 符合 一样 一致 正品",
    ),
)
THEME_NAMES: tuple[str, ...] = tuple(t.name for t in THEMES)
THEMES_BY_NAME: dict[str, Theme] = {t.name: t for t in THEMES}
PRODUCT_THEMES: frozenset[str] = frozenset(t.name for t in THEMES if t.product)


# --- words shared by every theme ------------------------------------------------------------------------------

NEGATORS = _words("不 没 没有 无 未 别 毫无 从不 并不 并没 并没有 不太 不怎么 不是 不算 不会 不能 没什么 没啥 "
                  "一点不 一点也不 都不 也不 从来不 根本不 完全不")
"""Words that reverse the next opinion: 不漏水 is no complaint, 不稳 is one."""

INSUFFICIENT = _words("不够 不太够 还不够")
"""Not enough of a quality: a complaint with positive words (不够结实) and scalar ones alike (不够长)."""

EXCESS = _words("太 太过 过于 过 偏 有点 有些 有点儿 有一点 略 略微 稍 稍微 稍显 略显 这么 那么 如此 实在")
"""Markers that make a scalar adjective a complaint: 太重, 偏小, 有点大."""

DEGREE = _words("很 非常 特别 超 超级 十分 相当 极 极其 好 真 真的 挺 蛮 比较 较 还 还是 也 都 又 就 更 更加 "
                "越来越 完全 根本 一点 一点也 一点都 有时 经常 总是 老是 一直 确实 简直 竟然 居然 已经 巨 贼")
"""Adverbs that may sit between an aspect, a negator and an opinion without changing polarity."""

HAVE = _words("有 有点 有股 一股 有一股 有些 带 带着 出现 总有 还有 有很大的 很大的")
"""Verbs that turn a `present` noun into a complaint (有味道, 一股味)."""

GENERIC_COMPLAINTS = _words("差 差劲 不好 一般 一般般 不行 糟糕 垃圾 烂 稀烂 拉胯 拉垮 不咋地 不怎么样 有问题 "
                            "出问题 毛病 问题 慢 弱 松动 麻烦 费劲 费事 难受 不足 盖不紧 盖不上 拧不紧 封不紧 没封好 "
                            "没封紧 没包好")
"""Complaints with no theme of their own: the aspect decides (质量差, 发货慢, 吸力弱)."""

GENERIC_POSITIVES = _words("好 行 满意 理想 给力 靠谱 达标 咋样 正常")
"""Positive words whose negation is a complaint about whatever the aspect is (做工不好, 吸水不行)."""

SCALARS = _words("大 小 高 低 重 沉 短 长 多 少 硬 软 薄 厚 贵 甜 咸 淡 浓 稀 凉 冷 热 松 紧 窄 宽 矮 粗 细 "
                 "干 油 黏 透 酸 频繁")
"""Scalar adjectives: a complaint only with an excess marker or an aspect whose bad direction they are."""

ASPECT_BAD_DIRECTIONS: dict[str, frozenset[str]] = {"性价比": _words("低 差")}
"""Aspects whose bad direction is the opposite of their theme's (价格高 is a complaint, 性价比高 is praise)."""

SCALAR_DEFAULT_THEMES: dict[str, str] = {
    **dict.fromkeys(_words("小 大 短 长 窄 宽 矮 紧"), "尺寸"),
    **dict.fromkeys(_words("重 沉"), "重量"),
    **dict.fromkeys(_words("甜 咸 淡 浓 稀 凉 冷 酸"), "口感"),
    **dict.fromkeys(_words("硬"), "舒适"),
    **dict.fromkeys(_words("薄"), "面料"),
    **dict.fromkeys(_words("贵"), "价格"),
    **dict.fromkeys(_words("热"), "发热"),
    **dict.fromkeys(_words("松"), "稳固"),
}
"""The theme of an excess-marked scalar when no aspect says otherwise: 太重 is 重量, 偏小 is 尺寸."""

NEUTRAL = _words("漏电保护 防漏电 防触电 防干烧 防漏 防漏水 防水 防锈 不锈钢 防滑 防霉 防爆 低噪 低噪音 降噪 "
                 "静音款 无线 不伤手 不漏电")
"""Product features that contain a complaint word (漏电保护 is a selling point): matched as a whole and ignored."""

NEGATIVE_SENTIMENT = _words("失望 垃圾 差评 后悔 坑 坑人 骗 骗人 上当 无语 气人 气死 糟心 踩雷 踩坑 翻车 别买 "
                            "千万别买 不推荐 不建议 避雷 退货 退了 差 太差 很差 不满意 不值 恶心 烂 难用 生气 "
                            "吐槽 呵呵 服了 醉了 怒 难过 智商税 一星 不会再买 不会回购 再也不买")
"""Clause-level negative sentiment with no pain point of its own; the default classifier uses it to decide that a
clause is negative even when no theme is found (so the clause goes to clustering)."""

NON_ASPECTS = _words("情况 现象 时候 地方 样子 东西 问题 结果 地步 程度 毛病 事情 感觉 体验 追评 评价 实际")
"""Nouns too general to be what a complaint is about (有漏电的情况 is about 漏电, not 情况)."""

GENERIC_TERMS = NEGATIVE_SENTIMENT | GENERIC_COMPLAINTS | _words(
    "东西 产品 商品 宝贝 买 买的 收到 用 用了 一次 两次 几天 一周 一个月 刚 才 就 了 卖家 店 评价 真的 感觉 "
    "觉得 实在 非常 特别 太 不 没 没有 有 是 这个 那个 这款")
"""Words too general to label a cluster of leftover complaints."""
