"""Reading helpers shared by the OPCO site scrapers and the generic fallback extractor.

OPCO sites have no structured notice type, deadline field or lot table: these are worded in
titles and free text. The helpers here read them the same way for every site:

- ``kind_from_wording``: "Avis rectificatif…" -> corrigendum, "Attribution…" -> award,
  "… annulé", "infructueux" -> cancellation;
- ``find_deadline``: the first worded deadline of a text ("Date limite de…", "Clôture…"),
  with its raw wording, a date without a year read after the publication date;
- ``document_links``, ``platform_links``, ``lots_from_lines``, ``places_in``: the rest;
- ``OpcoCardSource``: a listing with one card per call and a detail page per call (AFDAS,
  Atlas, OCAPIAT, OPCO Santé), read by ``read_detail``.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import ClassVar

from bs4 import BeautifulSoup, NavigableString, Tag

from scrapers import lxmltext
from scrapers.base import (
    HtmlSource,
    ParseResult,
    Select,
    absolute,
    clean_text,
    is_web_url,
    join_url,
    prepare_markup,
    region_tags,
    select_all,
    split_url,
)
from scrapers.dates import fold, parse_deadline, parse_french_date
from watcher.errors import LayoutChanged, SkipNotice
from watcher.fetch import Request
from watcher.models import Lot, Notice, NoticeKind

log = logging.getLogger(__name__)

DOCUMENT_EXTENSIONS = (".pdf", ".zip", ".doc", ".docx", ".xls", ".xlsx", ".odt", ".ods")

#: first match wins, on the folded title: a cancelled award is a cancellation
_KINDS = (
    (
        re.compile(r"\bannule(?:e|s|es)?\b|\bannulation\b|\binfructueu|\bsans suite\b"),
        NoticeKind.CANCELLATION,
    ),
    (re.compile(r"\brectificati|\bmodificati(?:f|ve)\b|\berratum\b"), NoticeKind.CORRIGENDUM),
    (
        # not a bare "attribution": "critères d'attribution" is in many calls' titles
        re.compile(
            r"avis d.attribution|\battribution d(?:u|es|e la) (?:marche|lot|contrat|accord)"
            r"|\battribue(?:e|s|es)?\b"
            r"|\bresultats? d(?:e|u|es)\s+(?:la |l.)?(?:consultation|marche|appel|procedure)"
        ),
        NoticeKind.AWARD,
    ),
)

#: where a deadline is worded (folded text)
_DEADLINE_LABEL = re.compile(
    r"(?:date et heure|date|heure) limite|limite de (?:reponse|depot|remise|reception)"
    r"|date de cloture|\bcloture\b|date de fin de (?:depot|reception)"
)
#: labels of other dates that must not be taken for the deadline
_NOT_DEADLINE = re.compile(r"question|visite|renseignement|demande")
#: a corrigendum states the old deadline next to the new one: "ancienne date limite…"
_SUPERSEDED = re.compile(r"ancien|initial|precedent")
#: a wording ends at the end of its line (see ``_wording``) or of its sentence
_WORDING_END = re.compile(r"(?<=\D)\.\s+(?=[A-ZÀ-Ý])|;|\|| \u2022 ")
_DIGIT = re.compile(r"\d")
_WORDING_MAX = 100

# fmt: off
BLOCK_TAGS = frozenset({
    "p", "div", "li", "tr", "dt", "dd", "br", "ul", "ol", "table", "blockquote", "h1", "h2",
    "h3", "h4", "h5", "h6", "section", "article", "details", "summary", "header", "footer",
    "main", "figure", "figcaption",
})
# fmt: on
_LOT = re.compile(r"^lot\s*(?:n\s*[°o]\s*)?(\d+)\s*[:.\-–—)]\s*(.+)$", re.IGNORECASE)
#: where a sentence's next lot starts: "…-de-France. Lot 2 : …", "…; lot n°3 – …"
_NEXT_LOT = re.compile(r"(?<=[.;])\s+(?=lot\s*(?:n\s*[°o]\s*)?\d+\s*[:\-–—)])", re.IGNORECASE)
_PLACE_LABEL = re.compile(
    r"^(?:lieux? d.execution|lieux? de (?:realisation|formation)|regions?|territoires?"
    r"|zone geographique|departements?)\s*:\s*"
)
_PROCEDURE_LABEL = re.compile(r"^(?:type de )?procedure\s*:\s*")
_WINNER_LABEL = re.compile(r"^(?:attributaire|titulaire)s?(?: du marche)?\s*:\s*")
_PUBLISHED = re.compile(r"publi|mise? en ligne|consultation du|parution")
#: buyer platforms where a DCE is downloaded (hosts and their subdomains)
PLATFORM_HOSTS = (
    "achatpublic.com",
    "marches-publics.info",
    "marches-publics.gouv.fr",
    "e-marchespublics.com",
    "marches-securises.fr",
    "klekoon.com",
    "maximilien.fr",
    "megalis.bretagne.bzh",
    "boamp.fr",
)
BODY_CHARS = 20_000
#: card lines that are metadata, not description
_DATE_LINE = re.compile(r"^(?:publie|mis en ligne|date|limite|cloture|reference)")
_PLACE_SPLIT = re.compile(r"\s*(?:,|;|/|\bet\b)\s*")


def kind_from_wording(text: str) -> NoticeKind:
    """The kind of notice a title (or a status label) says it is; a call by default."""
    folded = fold(text)
    for pattern, kind in _KINDS:
        if pattern.search(folded):
            return kind
    return NoticeKind.CALL


def find_deadline(text: str, published: date | None) -> tuple[datetime | None, str]:
    """The first readable worded deadline in ``text`` and its raw wording.

    A date without a year is read as the next one on or after ``published`` (a deadline follows
    the publication); without a publication date it stays unread. When a deadline is worded
    ("label : value") but cannot be read, returns (None, that wording): nothing is guessed.
    """
    folded = fold_same_length(text)
    unread = ""
    for label in _DEADLINE_LABEL.finditer(folded):
        wording = _wording(text, label.start())
        before = folded[max(0, label.start() - 25) : label.start()]
        if _NOT_DEADLINE.search(fold(wording[:60])) or _SUPERSEDED.search(before):
            continue
        deadline = parse_deadline(wording, today=published)
        if deadline is not None:
            return deadline, wording
        unread = unread or (wording if ":" in wording else "")  # "Date limite : voir le RC"
    return None, unread


def fold_same_length(text: str) -> str:
    """``fold`` one character at a time, so that indexes in the result hold in ``text``."""
    return text.translate(_FOLDED)


class _FoldedChars(dict[int, str]):
    """Code point -> its folded character (``str.translate``'s table), filled on first use."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = (fold(char) or char)[0]
        if len(self) < 4096:  # web text uses a few hundred characters: bounded all the same
            self[code] = folded
        return folded


_FOLDED = _FoldedChars()


def _wording(text: str, start: int) -> str:
    """The deadline wording starting at ``start``: the rest of its line up to a sentence end,
    at most 100 chars; a bare label line ("Date limite :", a ``dt``) takes the next line."""
    line_start = text.rfind("\n", 0, start) + 1
    line, after = _line_at(text, start)
    if not text[line_start:start].strip() and _bare_label(line) and after < len(text):
        line = f"{line} {_line_at(text, after)[0]}"
    chunk = line[:_WORDING_MAX]
    end = _WORDING_END.search(chunk, 20)
    return clean_text(chunk[: end.start()] if end else chunk).rstrip(" .,:")


def _line_at(text: str, start: int) -> tuple[str, int]:
    """The text from ``start`` to the end of its line, and where the next line starts."""
    end = text.find("\n", start)
    return (text[start:], len(text)) if end < 0 else (text[start:end], end + 1)


def _bare_label(line: str) -> bool:
    """A short line, starting with the label, without a date: its value is on the next line."""
    colon = line.rstrip().endswith(":") or ":" not in line
    return len(line) < 60 and colon and not _DIGIT.search(line)


def text_lines(node: Tag) -> str:
    """The text under ``node``, one line per block element (paragraph, item, table row…),
    inline elements kept on their line: "Date limite : <b>5 mars</b> à 12h" stays one line."""
    parts = []
    for element in node.descendants:
        if type(element) is NavigableString:  # not comments, scripts, styles
            parts.append(str(element))
        elif isinstance(element, Tag) and element.name in BLOCK_TAGS:
            parts.append("\n")
        elif isinstance(element, Tag) and element.name in ("td", "th"):
            parts.append(" ")  # cells of a row: one line, apart
    lines = (clean_text(line) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def document_links(node: Tag, base_url: str) -> tuple[str, ...]:
    """Absolute links to documents (PDF, office files, archives) under ``node``, in order."""
    return documents_among(hrefs_under(node), base_url)


def documents_among(hrefs: Iterable[str], base_url: str) -> tuple[str, ...]:
    """The links among ``hrefs`` that are documents, absolute, in order, each once."""
    links = (join_url(base_url, href) for href in hrefs)
    return tuple(dict.fromkeys(u for u in links if is_web_url(u) and is_document(u)))


def is_document(url: str) -> bool:
    return split_url(url).path.lower().endswith(DOCUMENT_EXTENSIONS)


def external_links(node: Tag, base_url: str, hosts: Iterable[str]) -> tuple[str, ...]:
    """Absolute http(s) links under ``node`` that leave the declared ``hosts`` (buyer
    platforms such as achatpublic.com): stored, never fetched."""
    own = set(hosts)
    links = (join_url(base_url, str(a.get("href"))) for a in select_all(node, "a[href]"))
    kept = (u for u in links if split_url(u).scheme in ("http", "https"))
    return tuple(dict.fromkeys(u for u in kept if split_url(u).hostname not in own))


def lots_from_lines(lines: Iterable[str]) -> tuple[Lot, ...]:
    """Lots written one per line ("Lot 1 : Île-de-France", "Lot n°2 – Occitanie"), or several
    in one sentence ("Lot 1 : Île-de-France. Lot 2 : Hauts-de-France.")."""
    lots = []
    for line in lines:
        if "lot" not in line.lower():  # no lot without the word (only ASCII letters match it)
            continue
        for part in _NEXT_LOT.split(clean_text(line)):
            match = _LOT.match(part)
            if match:
                lots.append(Lot(title=match.group(2).rstrip(" ."), number=match.group(1)))
    return tuple(lots)


def stated_places(value: str) -> tuple[str, ...]:
    """A stated list of places ("Hauts-de-France, Normandie et Grand Est") -> its items."""
    items = (clean_text(p).strip(" .") for p in _PLACE_SPLIT.split(value))
    return tuple(dict.fromkeys(p for p in items if p))


def unique_keys(result: ParseResult) -> ParseResult:
    """A listing that shows a call twice (two links to one page) keeps the first one."""
    first: dict[str, Notice] = {}
    for notice in result.notices:
        first.setdefault(notice.key, notice)
    return ParseResult(list(first.values()), result.next_requests, result.skipped)


def labelled(lines: str, label: re.Pattern[str]) -> str:
    """The value of the first line that starts with ``label`` (matched on the folded line)."""
    for line in lines.splitlines():
        found = label.match(fold_same_length(line))
        if found:
            return clean_text(line[found.end() :])
    return ""


def places_in(lines: str) -> tuple[str, ...]:
    """Places stated on a labelled line: "Lieu d'exécution : Hauts-de-France, Normandie"."""
    return stated_places(labelled(lines, _PLACE_LABEL))


def published_in(lines: str) -> date | None:
    """The publication date worded in a text: "Publié le…", "Mis en ligne le…"."""
    found = _PUBLISHED.search(fold_same_length(lines))
    return parse_french_date(lines[found.start() : found.start() + 60]) if found else None


def time_date(node: Tag) -> date | None:
    """The date of the first ``time[datetime]`` under ``node``."""
    stamp = node.find("time", attrs={"datetime": True})
    return iso_date(str(stamp.get("datetime"))) if isinstance(stamp, Tag) else None


def iso_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def platform_links(node: Tag, base_url: str) -> tuple[str, ...]:
    """Links under ``node`` to a buyer platform (achatpublic.com, marches-publics.info…)."""
    return platforms_among(hrefs_under(node), base_url)


def platforms_among(hrefs: Iterable[str], base_url: str) -> tuple[str, ...]:
    links = (join_url(base_url, href) for href in hrefs)
    return tuple(dict.fromkeys(u for u in links if _on_platform(u)))


def hrefs_under(node: Tag) -> list[str]:
    """The ``href`` of every ``a[href]`` under ``node``, in document order."""
    return [str(a.get("href")) for a in select_all(node, "a[href]")]


def _on_platform(url: str) -> bool:
    host = split_url(url).hostname or ""
    return any(host == h or host.endswith("." + h) for h in PLATFORM_HOSTS)


def read_detail(body: Tag, notice: Notice) -> Notice:
    """Complete a notice from the main part of its detail page: text, documents, lots, places,
    procedure, winner, the buyer platform, and the publication date and deadline when the
    listing lacked them."""
    return read_detail_text(text_lines(body), hrefs_under(body), notice)


def read_detail_text(lines: str, hrefs: list[str], notice: Notice) -> Notice:
    """``read_detail`` from the region's ``text_lines`` and links (either tree's)."""
    published = notice.published or published_in(lines)
    changes: dict[str, object] = {"body": lines[:BODY_CHARS], "published": published}
    changes["documents"] = documents_among(hrefs, notice.url) or notice.documents
    changes["lots"] = lots_from_lines(lines.splitlines()) or notice.lots
    changes["places"] = places_in(lines) or notice.places
    changes["platform_url"] = next(iter(platforms_among(hrefs, notice.url)), notice.platform_url)
    changes["procedure"] = labelled(lines, _PROCEDURE_LABEL) or notice.procedure
    changes["winner"] = labelled(lines, _WINNER_LABEL) or notice.winner
    if notice.deadline is None:
        deadline, wording = find_deadline(lines, published)
        changes |= {"deadline": deadline, "deadline_text": wording or notice.deadline_text}
        log_unread_deadline(notice.source, notice.url, deadline, wording)
    return notice.with_changes(**changes)


def main_region(text: str, region: Select, *, source: str, url: str) -> lxmltext.Element | None:
    """The element ``region.one`` finds on Beautiful Soup's tree, found on lxml's (see
    ``scrapers.lxmltext``), for a region whose first match is always the page's first
    ``main`` ("main", "main article, main"…: every other alternative lies inside one).
    None when the page is too deep for lxml's tree: read it with Beautiful Soup."""
    if not _first_is_main(region.css):
        raise ValueError(f"{region.css!r}: its first match is not always the first main")
    try:
        found = lxmltext.first(lxmltext.parse(prepare_markup(text)), "main")
    except lxmltext.TooDeep:
        return None
    if found is None:
        raise LayoutChanged(source, region.css, 0, expected=region.bounds(), url=url)
    return found


@functools.lru_cache(maxsize=16)
def _first_is_main(css: str) -> bool:
    """``main`` is one of the alternatives and every other one lies inside a ``main``."""
    return region_tags(css) == ("main",) and "main" in (part.strip() for part in css.split(","))


def log_unread_deadline(source: str, url: str, deadline: datetime | None, wording: str) -> None:
    """Say so when a worded deadline could not be read (kept as text, never guessed)."""
    if deadline is None and wording:
        log.info("[%s] deadline kept as text, not read: %r (%s)", source, wording, url)


class OpcoCardSource(HtmlSource):
    """A listing with one card per call (``rows``), each linking to its detail page on the
    site. Subclasses declare the selectors; the row's text gives the publication date and,
    when worded there, the deadline; the detail page gives the rest (``read_detail``)."""

    buyer: ClassVar[str]
    heading: ClassVar[Select] = Select("h2, h3", min=1)
    link: ClassVar[Select] = Select("a[href]", min=1)
    detail_body: ClassVar[Select] = Select("main", min=1)

    def parse_row(self, row: Tag, base_url: str) -> Notice:
        heading = self.heading.one(row, source=self.name, url=base_url)
        title = clean_text(heading.get_text(" ")) if heading else ""
        anchor = heading.find("a", href=True) if heading else None
        anchor = anchor or self.link.one(row, source=self.name, url=base_url)
        if not isinstance(anchor, Tag) or not title:
            raise SkipNotice(f"card without a title or a link: {title!r}")
        url = absolute(base_url, str(anchor.get("href")))
        lines = text_lines(row)
        published = time_date(row) or published_in(lines)
        deadline, wording = find_deadline(lines, published)
        return Notice(
            source=self.name,
            ref=url,
            title=title,
            url=url,
            buyer=self.buyer,
            published=published,
            deadline=deadline,
            deadline_text=wording,
            summary=card_summary(row, title),
            documents=document_links(row, base_url),
            kind=kind_from_wording(title),
        )

    def detail_request(self, notice: Notice) -> Request | None:
        if self.allows(notice.url) and not is_document(notice.url):
            return Request(notice.url)
        return None

    def detail_region(self) -> Select:
        return self.detail_body

    def parse_detail(self, text: str, notice: Notice) -> Notice:
        """``parse_detail_soup``'s reading, on lxml's tree when the region is ``main``."""
        if self.detail_body.css != "main":
            return super().parse_detail(text, notice)
        body = main_region(text, self.detail_body, source=self.name, url=notice.url)
        if body is None:
            return super().parse_detail(text, notice)
        lines = lxmltext.text_lines(body, BLOCK_TAGS)
        return self.read_region(lines, list(lxmltext.hrefs(body)), notice)

    def parse_detail_soup(self, soup: BeautifulSoup, notice: Notice) -> Notice:
        """The reading on Beautiful Soup's tree, which ``parse_detail`` is held to (tests)."""
        body = self.detail_body.one(soup, source=self.name, url=notice.url)
        assert body is not None  # min=1 guarantees it
        return self.read_region(text_lines(body), hrefs_under(body), notice)

    def read_region(self, lines: str, hrefs: list[str], notice: Notice) -> Notice:
        """The notice completed from its detail region's lines and links."""
        return read_detail_text(lines, hrefs, notice)


def card_summary(row: Tag, title: str) -> str:
    """The card's own paragraphs, without its dates and deadline lines."""
    kept = []
    for paragraph in select_all(row, "p"):
        text = clean_text(paragraph.get_text(" "))
        folded = fold(text)
        if text and text != title and not _DATE_LINE.search(folded):
            kept.append(text)
    return " ".join(dict.fromkeys(kept))
