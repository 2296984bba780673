from newstrace.extract.urls import tme_post, url_date, url_key, urls_in_text

BASE = "https://www.northwind-herald.example/2025/08/07/kestrel-port-workers-end-strike-after-pay-deal-a4521"


def test_variants_of_one_article_share_a_key():
    variants = [
        BASE,
        BASE + "/",
        BASE + "?utm_source=telegram&utm_medium=social",
        BASE + "#comments",
        BASE.replace("https://www.", "http://"),
        BASE.replace("www.", "m.") + "/amp",
        BASE.replace("www.", "amp."),
        BASE.replace("www.northwind-herald", "WWW.Northwind-Herald"),
    ]
    keys = {url_key(v) for v in variants}
    assert keys == {"northwind-herald.example/2025/08/07/kestrel-port-workers-end-strike-after-pay-deal-a4521"}


def test_different_articles_keep_different_keys():
    assert url_key("https://site.example/news?id=3") != url_key("https://site.example/news?id=4")
    assert url_key("https://site.example/a") != url_key("https://other.example/a")
    assert url_key("https://site.example/news?id=3&utm_campaign=x") == url_key("https://site.example/news?id=3")


def test_url_date_and_tme_posts():
    assert url_date(BASE) == "2025-08-07"
    assert url_date("https://x.example/news/2026-01-09/slug/") == "2026-01-09"
    assert url_date("https://x.example/news/slug-2026") is None
    assert tme_post("https://t.me/Kestrel_Today/313") == ("kestrel_today", 313)
    assert tme_post("t.me/s/kestrel_today/313") == ("kestrel_today", 313)
    assert tme_post("https://t.me/kestrel_today") is None
    assert tme_post("https://t.me/c/123456/7") is None
    assert tme_post("https://example.com/kestrel_today/1") is None


def test_urls_in_text_trims_punctuation_and_adds_scheme():
    text = "подробности: t.me/kestrel_today/313. Источник (https://ex.example/a?b=1), «https://ya.example»"
    assert urls_in_text(text) == ["https://t.me/kestrel_today/313", "https://ex.example/a?b=1",
                                  "https://ya.example"]
