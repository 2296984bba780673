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
