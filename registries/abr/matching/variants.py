"""旧字体・異体字 -> the common form, for matching only (both the input and the ABR names are mapped).

A match never depends on which form a registry or a writer used: 﨑/崎, 髙/高, 邊/邉/辺, 澤/沢, 龍/竜, 濱/浜,
國/国 ... all compare equal. Output keeps the ABR's own spelling. Pairs are (variant, common form); the CJK
compatibility ideographs (U+F900-U+FAFF, e.g. 塚 U+FA10) are added from their Unicode decompositions.
"""

from __future__ import annotations

import unicodedata

_PAIRS = (
    "﨑崎 嵜崎 碕崎 髙高 邊辺 邉辺 澤沢 龍竜 濱浜 濵浜 國国 圀国 櫻桜 廣広 齋斎 齊斉 德徳 槇槙 眞真 淵渕 曾曽 嶋島 嶌島 "
    "峯峰 舘館 冨富 藪薮 籔薮 籠篭 條条 會会 驛駅 榮栄 氣気 區区 縣県 團団 臺台 實実 壽寿 與与 萬万 瀧滝 豐豊 黑黒 "
    "靜静 鐵鉄 禮礼 學学 戶戸 淸清 惠恵 檜桧 螢蛍 鹽塩 莊荘 藏蔵 濟済 彌弥 稻稲 穗穂 來来 將将 圓円 應応 乘乗 兩両 "
    "寶宝 燒焼 邨村 聰聡 巖巌 嚴厳 鷗鴎 鶯鴬 蠣蛎 攝摂 舊旧 歸帰 當当 廳庁 畫画 獨独 狹狭 峽峡 溪渓 谿渓 嶽岳 對対 "
    "關関 闗関 亞亜 惡悪 壓圧 圍囲 爲為 醫医 壹壱 隱隠 營営 衞衛 驗験 據拠 擧挙 僞偽 勳勲 徑径 莖茎 經経 繼継 輕軽 "
    "鷄鶏 缺欠 儉倹 劍剣 圈圏 檢検 權権 獻献 顯顕 險険 效効 恆恒 黃黄 碎砕 雜雑 參参 慘惨 棧桟 蠶蚕 贊賛 殘残 絲糸 "
    "辭辞 兒児 濕湿 舍舎 寫写 釋釈 收収 從従 澁渋 獸獣 縱縦 肅粛 處処 敍叙 奬奨 稱称 證証 剩剰 壤壌 孃嬢 讓譲 釀醸 "
    "觸触 囑嘱 愼慎 晉晋 盡尽 粹粋 醉酔 隨随 髓髄 數数 樞枢 瀨瀬 聲声 竊窃 專専 淺浅 戰戦 踐践 錢銭 潛潜 纖繊 禪禅 "
    "雙双 壯壮 爭争 總総 裝装 騷騒 增増 臟臓 卽即 屬属 續続 墮堕 體体 帶帯 滯滞 擇択 擔担 膽胆 彈弾 斷断 癡痴 遲遅 "
    "晝昼 蟲虫 鑄鋳 聽聴 鎭鎮 轉転 傳伝 燈灯 黨党 盜盗 鬭闘 讀読 屆届 貳弐 惱悩 腦脳 霸覇 廢廃 拜拝 賣売 麥麦 發発 "
    "髮髪 拔抜 蠻蛮 祕秘 甁瓶 拂払 佛仏 竝並 變変 辨弁 瓣弁 辯弁 舖舗 襃褒 沒没 飜翻 滿満 默黙 譯訳 藥薬 豫予 餘余 "
    "搖揺 樣様 謠謡 賴頼 亂乱 覽覧 獵猟 綠緑 壘塁 淚涙 勵励 隸隷 靈霊 齡齢 曆暦 歷歴 戀恋 爐炉 勞労 樓楼 祿禄 錄録 "
    "灣湾 栁柳 鰺鯵 𠮷吉 舩船 嶺嶺 埓埒 螺螺 祗祇 槌槌 蘆芦 盧芦 藺藺 鑓鑓 逹達 鄕郷 郞郎 朗朗 廊廊 塲場 峠峠 杁杁"
)


def _pairs() -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in _PAIRS.split():
        variant, common = pair[0], pair[1]
        if variant != common:
            out[variant] = common
    for cp in range(0xF900, 0xFB00):  # CJK compatibility ideographs -> unified ideographs
        ch = chr(cp)
        nfkc = unicodedata.normalize("NFKC", ch)
        if len(nfkc) == 1 and nfkc != ch and ch not in out:
            out[ch] = nfkc
    # resolve chains (a variant whose common form is itself listed as a variant): one pass must suffice
    for k, v in list(out.items()):
        seen = {k}
        while v in out and v not in seen:
            seen.add(v)
            v = out[v]
        out[k] = v
    return out


VARIANTS: dict[str, str] = _pairs()
"""variant character -> common character."""
