"""The generic families of the lexicon (monitors/data/lexicon/<family>.toml, all but the engine's five) catch the
KINDS of claims their articles forbid, in the shapes and synonyms sellers use, not only the wordings of the
labelled sets; and leave the lawful shapes (a dated offer, a risk warning, a registration number) alone.

The sentences are written for this test from the articles' wording, not taken from tests/fixtures/compliance."""

from __future__ import annotations

import pytest

from monitors.compliance import find_violations

# (family, product category, text, a substring the violation must overlap)
BREACHES = [
    # 《广告法》第二十四条: promises of passing, admission, certificates, employment, score gains; examiners
    ("education", "education", "雅思培训 确保通过 小班教学", "确保通过"),
    ("education", "education", "考研辅导全程班 承诺上岸", "承诺上岸"),
    ("education", "education", "初级会计职称 包拿证书", "包拿证书"),
    ("education", "education", "高考冲刺 一个月提高50分", "提高50分"),
    ("education", "education", "IT实训营 学完保证就业", "保证就业"),
    ("education", "education", "成人学历提升 包拿学位", "包拿学位"),
    ("education", "education", "公务员面试课程 100%通过", "100%通过"),
    ("education", "education", "英语四六级 必过", "必过"),
    ("education", "education", "驾校报名 包拿驾照", "包拿驾照"),
    ("education", "education", "钢琴考级辅导 一定通过", "一定通过"),
    ("education", "education", "编程训练营 包高薪就业", "包高薪就业"),
    ("education", "education", "留学申请服务 保录名校", "保录名校"),
    ("education", "education", "教资面试班 考官亲自授课", "考官"),
    ("education", "education", "法考冲刺 名师押题", "名师押题"),
    ("education", "education", "小学奥数 稳拿一等奖", "稳拿一等奖"),
    ("education", "education", "日语N2 一次拿证", "一次拿证"),
    ("education", "education", "零基础 轻松拿证", "轻松拿证"),
    # 《广告法》第二十五条: returns promised, principal protected, no risk; franchising
    ("investment", "finance", "稳健理财 年化8% 稳赢不亏", "稳赢"),
    ("investment", "finance", "本金无忧 收益有保障", "收益有保障"),
    ("investment", "finance", "保证年化收益12%", "保证年化收益12%"),
    ("investment", "finance", "黄金投资 只涨不跌", "只涨不跌"),
    ("investment", "general", "奶茶加盟 月入5万", "月入5万"),
    ("investment", "general", "小吃加盟 零经验也能赚钱", "零经验也能赚钱"),
    ("investment", "finance", "定投计划 一年翻倍", "一年翻倍"),
    ("investment", "finance", "固定年化10% 随存随取", "固定年化10%"),
    ("investment", "finance", "年化收益率稳定在15%", "年化收益率稳定在15%"),
    ("investment", "general", "餐饮加盟 投资回报率超过30%", "回报率超过30%"),
    ("investment", "general", "加盟开店 不回本退加盟费", "不回本退加盟费"),
    ("investment", "finance", "资金安全无风险", "无风险"),
    ("investment", "general", "无人售货机加盟 躺着收钱", "躺着收钱"),
    # 《广告法》第二十六条: appreciation, returns, driving minutes, planned facilities, schooling
    ("real_estate", "real_estate", "核心地段 未来必然升值", "必然升值"),
    ("real_estate", "real_estate", "稀缺洋房 房价只涨不跌", "只涨不跌"),
    ("real_estate", "real_estate", "买房送学位 孩子升学无忧", "升学无忧"),
    ("real_estate", "real_estate", "坐拥规划地铁 出行无忧", "规划地铁"),
    ("real_estate", "real_estate", "开车仅需15分钟到高铁站", "15分钟"),
    ("real_estate", "real_estate", "商铺投资 年租金回报8%", "回报8%"),
    ("real_estate", "real_estate", "一年升值20% 投资首选", "升值20%"),
    ("real_estate", "real_estate", "自带增值潜力的好房", "增值潜力"),
    # 《明码标价和禁止价格欺诈规定》第十九条: reference prices without basis, false discounts
    ("price_fraud", "general", "羽绒服 原来卖599 现在99", "原来卖599"),
    ("price_fraud", "general", "官网价2999 到手价999", "官网价2999"),
    ("price_fraud", "general", "专柜售价1280元 今天只要199", "专柜售价1280"),
    ("price_fraud", "general", "跌破成本价 清仓", "跌破成本价"),
    ("price_fraud", "general", "厂价直销 内部员工价", "员工价"),
    ("price_fraud", "general", "以前卖299 现在只要99", "以前卖299"),
    ("price_fraud", "general", "低于进价处理", "低于进价"),
    ("price_fraud", "general", "京东卖599 这里99", "京东卖599"),
    # 《明码标价和禁止价格欺诈规定》第十九条(四): invented urgency and scarcity
    ("urgency", "general", "库存仅余5件 速抢", "仅余5件"),
    ("urgency", "general", "今天是最后一天", "最后一天"),
    ("urgency", "general", "下周一即将涨价", "即将涨价"),
    ("urgency", "general", "活动马上结束", "马上结束"),
    ("urgency", "general", "最后一次降价 错过等明年", "最后一次降价"),
    ("urgency", "general", "今天不买明天就涨价", "明天就涨价"),
    ("urgency", "general", "仅剩3个名额", "仅剩3个"),
    ("urgency", "general", "货不多了 要买赶紧", "货不多了"),
    ("urgency", "general", "只限今晚 过了零点恢复原价", "只限今晚"),
    ("urgency", "general", "仅限前100名下单", "仅限前100名"),
    ("urgency", "general", "只有3件了", "只有3件了"),
    ("urgency", "general", "2小时后恢复原价", "小时后恢复"),
    # 《食品安全法》第七十一条、第七十三条: ordinary food claiming disease treatment or health functions
    ("food_claim", "food", "黑芝麻丸 乌发生发", "生发"),
    ("food_claim", "food", "蜂蜜 润肠通便", "通便"),
    ("food_claim", "food", "桑叶茶 调节血糖", "调节血糖"),
    ("food_claim", "food", "红枣 补血养颜", "补血"),
    ("food_claim", "food", "酸枣仁茶 改善失眠", "改善失眠"),
    ("food_claim", "food", "菊花茶 清热解毒", "清热解毒"),
    ("food_claim", "food", "玉米须茶 利尿消肿", "利尿"),
    ("food_claim", "food", "纳豆 溶解血栓", "溶解血栓"),
    ("food_claim", "food", "葛根粉 解酒护肝", "解酒"),
    ("food_claim", "food", "儿童饼干 补脑益智", "补脑"),
    ("food_claim", "food", "牛初乳 抗疲劳", "抗疲劳"),
    ("food_claim", "food", "山药粉 健脾养胃", "健脾"),
    ("food_claim", "food", "大蒜精 增强体质", "增强体质"),
    ("food_claim", "food", "苦瓜茶 治疗糖尿病", "治疗糖尿病"),
    # 《广告法》第十八条: health food
    ("health_food", "health_food", "鱼油软胶囊 可替代药物", "替代药物"),
    ("health_food", "health_food", "褪黑素 根治失眠", "根治失眠"),
    ("health_food", "health_food", "钙片 治疗骨质疏松", "治疗骨质疏松"),
    ("health_food", "health_food", "护肝片 修复肝损伤", "修复肝损伤"),
    ("health_food", "health_food", "纯天然 无毒副作用", "无毒副作用"),
    ("health_food", "health_food", "三天见效 疗效显著", "疗效显著"),
    ("health_food", "health_food", "有效率高达98%", "有效率高达98%"),
    ("health_food", "health_food", "预防老年痴呆", "预防老年痴呆"),
    ("health_food", "health_food", "降低胆固醇 疏通血管", "降低胆固醇"),
    # 《化妆品监督管理条例》第三十七条、第四十三条: medical efficacy on cosmetics
    ("cosmetic_claim", "cosmetics", "面霜 修复受损肌肤", "修复受损"),
    ("cosmetic_claim", "cosmetics", "精华液 消除痘痘", "消除痘痘"),
    ("cosmetic_claim", "cosmetics", "身体乳 治愈湿疹", "治愈湿疹"),
    ("cosmetic_claim", "cosmetics", "洗发水 激活毛囊", "激活毛囊"),
    ("cosmetic_claim", "cosmetics", "爽肤水 促进伤口愈合", "伤口愈合"),
    ("cosmetic_claim", "cosmetics", "沐浴露 杀死螨虫", "杀死螨虫"),
    ("cosmetic_claim", "cosmetics", "护手霜 医用级配方", "医用级"),
    ("cosmetic_claim", "cosmetics", "足霜 根治脚气", "根治脚气"),
    # 《广告法》第二十一条: agricultural inputs
    ("agri", "agri", "复合肥 增产50%", "增产50%"),
    ("agri", "agri", "杀虫剂 安全无毒", "无毒"),
    ("agri", "agri", "杀菌剂 根治病害", "根治"),
    ("agri", "agri", "猪饲料 一个月长30斤", "长30斤"),
    ("agri", "agri", "叶面肥 亩产翻番", "亩产翻番"),
    ("agri", "agri", "除草剂 增产三成", "增产三成"),
    ("agri", "agri", "杀虫剂 喷完当天就能采摘", "当天就能采摘"),
    ("agri", "agri", "兽药 农业部推荐", "农业部推荐"),
    # 《广告法》第二十三条: alcohol
    ("alcohol", "alcohol", "啤酒 喝了更健康", "更健康"),
    ("alcohol", "alcohol", "白酒 一杯解千愁", "解千愁"),
    ("alcohol", "alcohol", "养生酒 舒筋活络", "舒筋活络"),
    ("alcohol", "alcohol", "米酒 驱寒暖身", "驱寒"),
    ("alcohol", "alcohol", "黄酒 喝出健康", "喝出健康"),
    ("alcohol", "alcohol", "果酒 开车也能喝", "开车也能喝"),
    ("alcohol", "alcohol", "药酒 解除疲劳", "解除疲劳"),
    ("alcohol", "alcohol", "鹿鞭酒 喝了身体好", "喝了身体好"),
    ("alcohol", "alcohol", "开车前来一杯", "开车前来一杯"),
    # 《广告法》第二十二条: tobacco, e-cigarettes, harm reduction
    ("tobacco", "tobacco", "电子烟 危害更小", "危害更小"),
    ("tobacco", "tobacco", "低焦油 更健康", "更健康"),
    ("tobacco", "tobacco", "雾化棒 不伤身体", "不伤身体"),
    ("tobacco", "tobacco", "电子烟 代替香烟", "代替香烟"),
    ("tobacco", "tobacco", "烟弹 安全健康", "安全健康"),
    # 《反不正当竞争法》第八条: sales, reviews, honours
    ("misleading", "general", "爆款 卖了200万单", "卖了200万单"),
    ("misleading", "general", "累计好评50万条", "好评50万"),
    ("misleading", "general", "已服务500万家庭", "服务500万家庭"),
    ("misleading", "general", "销售额破亿", "销售额破亿"),
    ("misleading", "general", "每天卖出3000单", "卖出3000单"),
    ("misleading", "general", "好评送红包", "好评送红包"),
    ("misleading", "general", "10万人已购", "万人已购"),
    ("misleading", "general", "斩获国际大奖", "国际大奖"),
    # 《广告法》第十一条: data and quotations without a source
    ("data_source", "general", "科学证明 每天喝水更健康", "科学证明"),
    ("data_source", "general", "八成消费者都选它", "八成消费者"),
    ("data_source", "general", "医生都说好", "医生都说"),
    ("data_source", "general", "经测试 续航提升50%", "经测试"),
    ("data_source", "general", "国外学者指出 午睡更长寿", "学者指出"),
    ("data_source", "general", "内裤 抑菌率99% 透气", "抑菌率99%"),
    # 《广告法》第九条第九项: discrimination
    ("discrimination", "general", "外国人勿拍", "外国人勿拍"),
    ("discrimination", "general", "女人天生爱慕虚荣", "女人天生"),
    ("discrimination", "general", "白人才高贵", "白人才高贵"),
    ("discrimination", "general", "女生学不会编程", "学不会"),
    ("discrimination", "general", "穆斯林一律勿拍", "勿拍"),
    # 《广告法》第九条第八项: superstition
    ("superstition", "general", "貔貅手串 保平安 旺运", "保平安"),
    ("superstition", "general", "佛祖加持 好运连连", "加持"),
    ("superstition", "general", "五路财神 增加财运", "增加财运"),
    ("superstition", "general", "护身符 消除厄运", "消除厄运"),
    # 《广告法》第十二条: patents
    ("patent", "general", "获得5项专利技术", "专利"),
    ("patent", "general", "专利已受理", "专利已受理"),
    # 《广告法》第九条第一项: national symbols
    ("national_symbols", "general", "国徽图案徽章", "国徽"),
    ("national_symbols", "general", "背景音乐用军歌", "军歌"),
]

# (product category, text): lawful shapes these families must leave alone at warning or above
LAWFUL = [
    ("education", "雅思课程 共40课时 小班授课"),
    ("education", "考研英语 历年真题解析 课程不承诺通过"),
    ("finance", "理财有风险 投资需谨慎"),
    ("general", "加盟费用明细：品牌费3万 设备费5万"),
    ("real_estate", "建筑面积89平 三室两厅 距地铁2号线约800米"),
    ("general", "活动时间：2026年12月1日至12月12日 满300减50"),
    ("general", "累计售出5万件，数据统计自2024年1月至2025年12月"),
    ("education", "往届学员一次性通过率以当年公布为准"),
    ("general", "奶茶店加盟 投资总额约20万 经营存在亏损风险 不承诺收益"),
    ("general", "现货 48小时内发货 库存充足"),
    ("general", "到手价99元（划线价为厂商建议零售价）"),
    ("food", "全麦面包 高纤维 每100g含蛋白质9g"),
    ("food", "农家自产蜂蜜 500g"),
    ("health_food", "保健功能：增强免疫力 本品不能代替药物"),
    ("cosmetics", "保湿补水 滋润肌肤 温和洁面"),
    ("agri", "复合肥 氮磷钾15-15-15 50kg 按说明书使用"),
    ("alcohol", "53度酱香型白酒 500ml 未成年人请勿饮酒"),
    ("tobacco", "本产品含尼古丁 未成年人禁止购买 吸烟有害健康"),
    ("general", "招财猫摆件 陶瓷 发财树盆栽"),
    ("general", "男士专用洗面奶"),
    ("general", "专利号ZL201920123456.7 折叠收纳"),
    ("general", "国旗杆 不锈钢 3米"),
    ("real_estate", "洋房 容积率1.8 绿化率35%"),
    ("general", "第三方检测抑菌率99%，报告编号AB20240012"),
    ("finance", "基金管理人不保证基金一定盈利"),
    ("general", "店铺公告：12月31日停止营业，库存按标价八折出售"),
]


@pytest.mark.parametrize(("family", "category", "text", "match"), BREACHES,
                         ids=[f"{family}:{text}" for family, _, text, _ in BREACHES])
def test_a_claim_of_the_kind_the_article_forbids_is_caught(family, category, text, match):
    start = text.index(match)
    found = [violation for violation in find_violations(text, category=category)
             if violation.category == family and violation.start < start + len(match) and start < violation.end]
    assert found, f"{family} not found in {text!r}: {find_violations(text, category=category)}"
    assert all(violation.severity in ("warning", "critical") for violation in found)


@pytest.mark.parametrize(("category", "text"), LAWFUL, ids=[text for _, text in LAWFUL])
def test_a_lawful_shape_is_not_flagged(category, text):
    flagged = [violation for violation in find_violations(text, category=category)
               if violation.severity in ("warning", "critical")]
    assert flagged == []
