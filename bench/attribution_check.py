"""How well newstrace.match.attribution finds credits, on real data, and how fast.

    .venv/bin/python bench/attribution_check.py --data ../shared/data

1. speed: credited_outlets over the 22,099 posts of telegram-ru-2024 (posts/s, one core);
2. hyperlinks: posts linking an outlet's site (domains listed here, independently of the
   catalogue) -> is that outlet found as a "hyperlink" credit;
3. named credits, hand-labelled sample (bench/attribution_labels.json: post ids and the outlets
   each credits, judged by reading the post; no text copied): precision and recall of "named";
4. events-dev.jsonl: the outlets detected in each item's text against its gold ``credits``.
"""

from __future__ import annotations

import argparse
import glob
import json
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from newstrace.collect.telethon_json import parse_telethon_json
from newstrace.match.attribution import catalogue, credited_outlets

LABELS = Path(__file__).with_name("attribution_labels.json")
# the channels' own usernames (from the data set's README): their own name is not a credit
OWN = {"SHOT": "shot_shot", "Mash": "mash", "РИА Новости": "rian_ru", "BBC News | Русская служба": "bbcrussian"}
# written independently of outlets.json: host (or host/path) -> outlet key
SITES = {"tass.ru": "tass", "ria.ru": "ria", "rbc.ru": "rbc", "interfax.ru": "interfax",
         "kommersant.ru": "kommersant", "vedomosti.ru": "vedomosti", "iz.ru": "izvestia", "lenta.ru": "lenta",
         "gazeta.ru": "gazeta_ru", "bbc.com/russian": "bbc_russian", "meduza.io": "meduza", "rg.ru": "rg",
         "reuters.com": "reuters", "bloomberg.com": "bloomberg", "m24.ru": "m24", "mk.ru": "mk", "life.ru": "life",
         "1prime.ru": "prime", "forbes.ru": "forbes", "rbc-ru.turbopages.org": "rbc", "tass-ru.turbopages.org": "tass",
         "ria-ru.turbopages.org": "ria", "lenta-ru.turbopages.org": "lenta", "gazeta-ru.turbopages.org": "gazeta_ru"}


def post_id(post) -> str:
    return f"{post.channel}/{post.message_id}"


def load_posts(data: Path) -> list:
    posts = []
    for name in sorted(glob.glob(str(data / "telegram-ru-2024" / "*_messages.json"))):
        posts += parse_telethon_json(Path(name).read_bytes(), name)
    return posts


def credits_of(post) -> list:
    return credited_outlets(post.text, post.links, own_channel=OWN.get(post.channel_title or ""))


def speed(posts: list) -> None:
    catalogue()
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        for post in posts:
            credits_of(post)
        best = max(best, len(posts) / (time.perf_counter() - start))
    print(f"speed: {best:,.0f} posts/s over {len(posts):,} posts (best of 3, one core)")


def site_of(url: str) -> str | None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    for site, key in SITES.items():
        site_host, _, path = site.partition("/")
        if (host == site_host or host.endswith("." + site_host)) and parts.path.startswith("/" + path):
            return key
    return None


def hyperlinks(posts: list) -> None:
    cat = catalogue()
    expected = found = 0
    missed = []
    for post in posts:
        wanted = {key for key in (site_of(link.url) for link in post.links) if key}
        if not wanted:
            continue
        got = {c.outlet for c in credited_outlets(post.text, post.links) if c.kind == "hyperlink"}
        for key in wanted:
            expected += 1
            if any(cat.related(key, other) for other in got):
                found += 1
            else:
                missed.append((post_id(post), key))
    print(f"hyperlinks: {found}/{expected} links to listed outlet sites found as hyperlink credits "
          f"(recall {found / max(expected, 1):.3f}); missed: {missed[:5]}")


def sample_for_labels(posts: list, size: int, seed: int) -> list:
    """Half posts where the detector found a named credit, half posts naming an outlet anywhere."""
    cat = catalogue()
    detected = [p for p in posts if any(c.kind == "named" for c in credits_of(p))]
    def names_another(post) -> bool:
        own = cat.outlet_for_channel(OWN.get(post.channel_title or "", ""))
        return any(not cat.related(cat.outlet_for_name(m.group(0)), own) for m in cat.name_matches(post.text))
    chosen = set(map(id, detected))
    naming = [p for p in posts if id(p) not in chosen and names_another(p)]
    rng = random.Random(seed)
    return rng.sample(detected, size // 2) + rng.sample(naming, size - size // 2)


def named(posts: list) -> None:
    if not LABELS.exists():
        print("named: no labels file; run with --dump-sample to write one")
        return
    by_id = {post_id(p): p for p in posts}
    for name, labels in json.loads(LABELS.read_text()).items():
        if isinstance(labels, dict):
            score_named(name, labels, by_id)


def score_named(name: str, labels: dict, by_id: dict) -> None:
    tp = fp = fn = 0
    errors = []
    for pid, gold in labels.items():
        got = {c.outlet for c in credits_of(by_id[pid]) if c.kind == "named"}
        tp += len(got & set(gold))
        fp += len(got - set(gold))
        fn += len(set(gold) - got)
        if got != set(gold):
            errors.append((pid, sorted(got - set(gold)), sorted(set(gold) - got)))
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    print(f"named, {name} (hand-labelled {len(labels)} posts, {tp + fn} credits): precision {precision:.3f}, "
          f"recall {recall:.3f} (tp {tp}, fp {fp}, fn {fn})")
    for pid, extra, lost in errors:
        print(f"   {pid}: wrong {extra} missed {lost}")


def gold_key(credit: str, cat) -> str | None:
    text = credit.strip()
    found = cat.name_matches(text)
    if found and found[0].group(0) == text:
        return cat.outlet_for_name(text)
    if "." in text and " " not in text:
        return cat.outlet_for_url(text)
    lowered = {name.lower(): o.key for o in cat.outlets.values() for name in (o.name, *o.names)}
    return lowered.get(text.lower())


def events(data: Path) -> None:
    cat = catalogue()
    tp = fp = fn = unknown = items = 0
    for line in (data / "events-dev.jsonl").read_text().splitlines():
        item = json.loads(line)
        items += 1
        own = cat.outlet_for_url(item["url"])
        gold = set()
        for credit in item.get("credits") or []:
            key = gold_key(credit, cat)
            if key is None:
                unknown += 1
            else:
                gold.add(key)
        text = "\n\n".join(part for part in (item.get("title"), item.get("text")) if part)
        got = {c.outlet for c in credited_outlets(text, []) if c.outlet and not cat.related(c.outlet, own)}
        gold = {key for key in gold if not cat.related(key, own)}
        hit = {g for g in gold if any(cat.related(g, o) for o in got)}
        tp += len(hit)
        fn += len(gold - hit)
        fp += len({o for o in got if not any(cat.related(o, g) for g in gold)})
    print(f"events-dev ({items} items): gold credits of catalogued outlets {tp + fn} ({unknown} others "
          f"not outlets in the catalogue: Élysée, X, Truth Social, …); recall {tp / max(tp + fn, 1):.3f}, "
          f"precision {tp / max(tp + fp, 1):.3f} (tp {tp}, fp {fp}, fn {fn})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--dump-sample", type=int, metavar="N",
                        help="print N posts to label (ids and detected credits) instead of scoring")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    posts = load_posts(args.data)
    if args.dump_sample:
        for post in sample_for_labels(posts, args.dump_sample, args.seed):
            print(post_id(post), post.channel_title, [(c.outlet, c.phrase) for c in credits_of(post)
                                                      if c.kind == "named"])
            for match in catalogue().name_matches(post.text):
                print("   ", post.text[max(0, match.start() - 90): match.end() + 50].replace("\n", " "))
        return 0
    speed(posts)
    hyperlinks(posts)
    named(posts)
    events(args.data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
