from nlp.clean import clean_text, decode, normalize, to_simplified


def test_weibo_html_becomes_readable_text_with_emoticons_kept() -> None:
    raw = ('停气三天了<span class="url-icon"><img alt="[怒]" src="x.png" /></span><br />'
           '<a href="/search?q=%23泰安%23"><span class="surl-text">#泰安#</span></a>&amp;')
    assert clean_text(raw) == "停气三天了[怒]\n#泰安#&"


def test_scripts_and_invisible_characters_are_dropped() -> None:
    assert clean_text("<script>var a=1;</script>漏\u200b气\ufeff") == "漏气"


def test_emoji_become_markers_or_disappear() -> None:
    assert clean_text("没气了😡😡🍜") == "没气了[怒][怒]"


def test_invalid_utf8_falls_back_to_gb18030_then_replacement() -> None:
    assert decode("燃气".encode("gbk")) == "燃气"
    assert isinstance(decode(b"\xff\xfe\xfa broken"), str)


def test_traditional_is_converted_only_when_present() -> None:
    assert to_simplified("燃氣費太貴") == "燃气费太贵"
    assert to_simplified("燃气费") == "燃气费"


def test_normalize_folds_width_case_and_urls() -> None:
    assert normalize("ＡＰＰ缴费失败 http://t.cn/abc") .strip() == "app缴费失败"
