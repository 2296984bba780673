"""Write the PDFs of the demo corpus and of tests/fixtures/pdf (dev tool; needs reportlab).

They imitate Chrome's "Print to PDF" of a news page: a running header (print date and time at
the left, page title in the middle), a running footer (page URL at the left, "1/2" at the right),
an embedded TrueType font, link annotations, a long URL broken inside the word at the right
margin, and, for the demo article, a headline whose first line the browser drew as an image (so
text extraction loses it, as in the reference dossier).

Run from the repository root: ``.venv/bin/python tools/make_pdfs.py``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import reportlab
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

ROOT = Path(__file__).resolve().parent.parent
FONT_DIR = Path(reportlab.__file__).parent / "fonts"
pdfmetrics.registerFont(TTFont("Vera", str(FONT_DIR / "Vera.ttf")))
pdfmetrics.registerFont(TTFont("VeraBd", str(FONT_DIR / "VeraBd.ttf")))

PAGE_W, PAGE_H = 612.0, 792.0          # US Letter, Chrome's default for an en-US locale
LEFT, RIGHT = 54.0, 558.0
TOP, BOTTOM = 736.0, 64.0
BODY, LEADING, GAP = 11.0, 15.0, 9.0


@dataclass
class Block:
    """One paragraph of the page: its text, style, and the links drawn over parts of it."""

    text: str
    size: float = BODY
    font: str = "Vera"
    links: dict[str, str] = field(default_factory=dict)   # anchor text -> URL
    image_first_line: bool = False                         # headline line drawn as an image
    photo: float = 0.0                                     # a grey "photo" box this tall, before


@dataclass
class Page:
    """A page to print: the browser's header/footer facts and the body blocks."""

    url: str
    title: str
    printed: str
    blocks: list[Block]
    chrome: bool = True


def wrap(text: str, font: str, size: float) -> list[str]:
    """Greedy wrapping at spaces; a word wider than the line is broken at the margin (as
    ``overflow-wrap: anywhere`` does for long URLs)."""
    width = RIGHT - LEFT
    lines, line = [], ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if pdfmetrics.stringWidth(candidate, font, size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
            line = ""
        while pdfmetrics.stringWidth(word, font, size) > width:
            cut = len(word)
            while pdfmetrics.stringWidth(word[:cut], font, size) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines


def headline_image(text: str, size: float) -> Image.Image:
    scale = 4
    font = ImageFont.truetype(str(FONT_DIR / "VeraBd.ttf"), int(size * scale))
    width = int(pdfmetrics.stringWidth(text, "VeraBd", size) * scale) + 8
    image = Image.new("L", (width, int(size * 1.3 * scale)), 255)
    ImageDraw.Draw(image).text((0, 0), text, font=font, fill=0)
    return image


class Printer:
    """Lays blocks out on pages the way a browser's print preview would."""

    def __init__(self, page: Page, path: Path, encrypt: str | None = None) -> None:
        self.page = page
        self.canvas = Canvas(str(path), pagesize=(PAGE_W, PAGE_H), invariant=1, encrypt=encrypt)
        self.canvas.setTitle(page.title)
        self.y = TOP
        self.number = 1

    def chrome(self, total: int) -> None:
        c = self.canvas
        c.setFont("Vera", 8)
        c.drawString(20, PAGE_H - 16, self.page.printed)
        c.drawCentredString(PAGE_W / 2, PAGE_H - 16, self.page.title)
        c.drawString(20, 14, self.page.url)
        c.drawRightString(PAGE_W - 20, 14, f"{self.number}/{total}")

    def new_page(self, total: int) -> None:
        if self.page.chrome:
            self.chrome(total)
        self.canvas.showPage()
        self.number += 1
        self.y = TOP

    def line(self, text: str, offset: int, block: Block, total: int, as_image: bool) -> None:
        leading = max(LEADING, block.size * 1.3)
        if self.y - leading < BOTTOM:
            self.new_page(total)
        self.y -= leading
        c = self.canvas
        if as_image:
            image = headline_image(text, block.size)
            c.drawImage(ImageReader(image), LEFT, self.y - block.size * 0.3,
                        width=image.width / 4, height=block.size * 1.3)
            return
        c.setFont(block.font, block.size)
        c.drawString(LEFT, self.y, text)
        for anchor, url in block.links.items():
            start = block.text.find(anchor) - offset          # the anchor's part on this line
            lo, hi = max(start, 0), min(start + len(anchor), len(text))
            if start < -len(anchor) or lo >= hi:
                continue
            x0 = LEFT + pdfmetrics.stringWidth(text[:lo], block.font, block.size)
            x1 = LEFT + pdfmetrics.stringWidth(text[:hi], block.font, block.size)
            c.linkURL(url, (x0, self.y - 3, x1, self.y + block.size), relative=0, thickness=0)

    def print(self, total: int) -> None:
        for block in self.page.blocks:
            if block.photo:
                if self.y - block.photo < BOTTOM:
                    self.new_page(total)
                self.y -= block.photo
                self.canvas.setFillGray(0.8)
                self.canvas.rect(LEFT, self.y, RIGHT - LEFT, block.photo - 6, stroke=0, fill=1)
                self.canvas.setFillGray(0)
            offset = 0
            for index, text in enumerate(wrap(block.text, block.font, block.size)):
                offset = block.text.index(text, offset)
                self.line(text, offset, block, total, block.image_first_line and index == 0)
                offset += len(text)
            self.y -= GAP
        if self.page.chrome:
            self.chrome(total)
        self.canvas.showPage()

    def save(self) -> int:
        self.canvas.save()
        return self.number


def write(page: Page, path: Path, encrypt: str | None = None) -> None:
    """Print twice: the first pass counts pages for the "n/total" footer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    dry = Printer(page, path)
    dry.print(1)
    total = dry.number
    printer = Printer(page, path, encrypt)
    printer.print(total)
    printer.canvas.save()


A1_URL = "https://www.northwind-herald.example/2025/08/07/kestrel-port-workers-end-strike-after-pay-deal-a4521"
A2_URL = "https://www.northwind-herald.example/2025/08/12/kestrel-council-approves-overnight-bus-pilot-a4588"
COUNCIL_URL = ("https://www.kestrel-council.example/transport/night-bus-pilot-2025/"
               "timetables-and-stops-routes-4-11-17")
ARCHIVE_URL = ("https://www.kestrel-museums.example/lighthouse/restoration-2023-2025/"
               "photo-archive-of-the-works")
A1_TITLE = "Kestrel port workers end nine-day strike after 14% pay deal"

DEMO = Page(
    url=A2_URL,
    title="Kestrel council approves overnight bus pilot on three routes - Northwind Herald",
    printed="8/12/25, 7:02 PM",
    blocks=[
        Block("Kestrel council approves overnight bus pilot on three routes", size=22,
              font="VeraBd", image_first_line=True),
        Block("By Ingrid Sollberg", size=9),
        Block("", photo=200),
        Block("A night bus waits at the Harbour Gate stop. Photo: Northwind Herald archive", size=9),
        Block("Kestrel city council on Tuesday approved a six-month trial of overnight bus services, "
              "answering years of complaints from shift workers at the port and the hospital who have "
              "had no way home after the last regular buses at 11:40 p.m.",
              links={"city council": "https://www.kestrel-council.example/meetings/2025-08-12"}),
        Block("The pilot will run night buses on routes 4, 11 and 17 from 1 September until the end "
              "of February. Buses will leave the central station every 30 minutes between midnight "
              "and 5 a.m., with fares unchanged from the daytime tariff."),
        Block("Councillor Petra Aalto, who chairs the transport committee, said the three routes had "
              "been chosen because they pass the container terminal, the university hospital and the "
              "new housing estates in the east of the city. \u201cThese are the people who keep Kestrel "
              "running at night, and until now we have left them to walk or pay for taxis,\u201d she said."),
        Block("Related article: " + A1_TITLE, links={A1_TITLE: A1_URL}),
        Block("The trial is expected to cost 1.9 million crowns, of which the regional transport "
              "authority will pay a third. Ridership will be counted on every trip, and the council "
              "will decide in March whether to make the services permanent or extend them to the "
              "airport line, which the dockworkers' union has asked for since the end of the strike."),
        Block("The full timetable and the list of stops are published on the council website: "
              + COUNCIL_URL,
              links={COUNCIL_URL: COUNCIL_URL}),
        Block("Opposition councillors backed the plan but warned that drivers were already in short "
              "supply. The operator, Kestrel Bus Lines, said it had hired 14 drivers for the night "
              "services and would train them in August, and that no daytime trips would be cut to "
              "staff the new timetable."),
        Block("Residents can comment on the pilot until the end of October through the council's "
              "online consultation or at the public meeting on 18 September in the city library."),
    ],
)

NORMAL = Page(
    url="https://www.northwind-herald.example/2025/06/03/lighthouse-museum-reopens-after-repairs-a4102",
    title="Lighthouse museum reopens after two years of repairs - Northwind Herald",
    printed="6/4/25, 9:15 AM",
    blocks=[
        Block("Lighthouse museum reopens after two years of repairs", size=22, font="VeraBd"),
        Block("By Jonas Eklund", size=9),
        Block("", photo=180),
        Block("The restored lamp room of the Old Kestrel Light. Photo: Northwind Herald", size=9),
        Block("The Old Kestrel Light reopened to visitors on Tuesday after a two-year restoration "
              "that replaced the rusted lantern, rebuilt the spiral staircase and repainted the tower "
              "in its original red and white bands.",
              links={"Old Kestrel Light": "https://www.kestrel-museums.example/lighthouse"}),
        Block("Tickets cost 80 crowns for adults, and children under twelve go free. The museum is "
              "open every day except Monday from 10 a.m. to 5 p.m. until the end of September, "
              "and on weekends only during the winter months."),
        Block("Curator Annika Borg said the most delicate part of the work had been the Fresnel lens, "
              "which was taken apart into 212 glass prisms, cleaned by hand and put back in the exact "
              "order in which it was assembled in 1898. \u201cWe had one chance to get it right,\u201d she said."),
        Block("Related article: Kestrel harbour festival returns with tall ships in July",
              links={"Kestrel harbour festival returns with tall ships in July":
                     "https://www.northwind-herald.example/2025/05/20/kestrel-harbour-festival-returns-a4050"}),
        Block("The restoration cost 6.4 million crowns, most of it from the national heritage fund. "
              "A photo archive of the works is online at "
              + ARCHIVE_URL,
              links={ARCHIVE_URL: ARCHIVE_URL}),
        Block("Volunteers are still needed as guides for the summer season. The museum asks anyone "
              "interested to write to its office or to come to the open day on 14 June, when the "
              "keeper's cottage will also be shown to the public for the first time in decades."),
        Block("The tower is 38 metres tall and the climb to the gallery takes 164 steps. Visitors "
              "with reduced mobility can follow the climb on screens in the former oil store, where "
              "a camera on the gallery shows the view over the harbour mouth in real time."),
        Block("From July, the museum will also run evening tours on Thursdays, when the restored "
              "lamp will be lit for half an hour after sunset for the first time since the light was "
              "decommissioned in 1974."),
    ],
)

ONE_PAGE = Page(
    url="",
    title="",
    printed="",
    chrome=False,
    blocks=[
        Block("Ferry timetable changes for the autumn", size=18, font="VeraBd"),
        Block("From 1 October the island ferry will leave Kestrel quay at 7:10, 12:40 and 18:05 on "
              "weekdays. The late Saturday sailing is cancelled for the winter."),
        Block("Season tickets bought before the change remain valid until they expire."),
    ],
)


def main() -> None:
    fixtures = ROOT / "tests" / "fixtures" / "pdf"
    write(DEMO, ROOT / "src" / "newstrace" / "demo" / "articles" / "kestrel-council-overnight-bus-pilot.pdf")
    write(NORMAL, fixtures / "lighthouse-museum-reopens.pdf")
    write(ONE_PAGE, fixtures / "one-page-no-chrome.pdf")
    write(NORMAL, fixtures / "encrypted.pdf", encrypt="secret")
    normal = (fixtures / "lighthouse-museum-reopens.pdf").read_bytes()
    (fixtures / "truncated.pdf").write_bytes(normal[: len(normal) // 3])
    (fixtures / "not-a-pdf.pdf").write_text("Lighthouse museum reopens\n\nThis is a plain text file.\n")
    for path in sorted(fixtures.iterdir()):
        print(os.path.relpath(path, ROOT), path.stat().st_size)


if __name__ == "__main__":
    main()
