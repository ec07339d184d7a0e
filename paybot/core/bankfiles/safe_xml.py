"""Hardened, streaming XML reading for the bank files paybot receives (pain.002, camt.054).

Bank files come from outside, so three rules keep a hostile or broken one harmless:

1. A file that declares a DTD or an entity (`<!DOCTYPE`, `<!ENTITY`) is refused whole, from a scan
   of its raw bytes before any parsing: external entities (XXE) and entity-expansion bombs live
   there, and ISO 20022 files never need one.
2. The parser resolves no entities, loads no DTD, opens no network connection, and keeps libxml2's
   limits on text-node size and depth (`huge_tree=False`).
3. Elements are matched by local name (namespaces ignored, so pain.002.001.03, .10 and bank variants
   such as PostFinance's `pain.002.001.03.ch.02` read alike) and each matched element is cleared and
   detached once the reader has looked at it, so memory stays flat however long the file is.
   A reader that asks for it (`XmlStream(..., local_names=True)`) gets its elements without the
   root's default namespace, which spares lxml building `{namespace}name` for every tag it reads;
   the namespace the file declares is read first, from the file itself (`sniff`).

Malformed XML becomes `BankFileRejected` naming the file and the line. Note that `tracemalloc` does
not see libxml2's memory: measure tree growth with the process's resident size.

Also here: small namespace-agnostic field readers (`first`, `text`, `to_decimal`, ...) and the
helpers the pain.002 and camt.054 writers share.
"""

from __future__ import annotations

import io
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, BinaryIO, Literal, TypeAlias, cast

from lxml import etree

from paybot.core.bankfiles.model import BankFileRejected

if TYPE_CHECKING:  # the class exists at run time, but lxml.etree does not export its name
    from lxml.etree._serializer import _IncrementalFileWriter

XmlData = Path | bytes
Event = Literal["start", "end"]
Element = etree._Element
XmlWriter: TypeAlias = "_IncrementalFileWriter"  # what `with etree.xmlfile(...) as xf` gives

NOT_ALLOWED = "DTDs and entities are not allowed"
_SCAN_CHUNK = 1 << 18
_SCAN_OVERLAP = 64  # longer than any marker below, in any encoding
_SNIFF_LIMIT = 64  # start tags read while looking for the message element
_MAX_NAMES = 256  # local names a stream remembers by tag (a hostile file may hold endless tags)
_VERSION = re.compile(r"[a-z]{4}\.\d{3}\.\d{3}\.\d{2}")
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})?")


def _declaration_patterns() -> tuple[re.Pattern[bytes], ...]:
    # One pattern per encoding: each starts with a literal, which `re` finds fast (~2 GB/s);
    # a single alternation of all of them is twenty times slower.
    patterns = []
    for codec in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        bang, doctype, entity = (re.escape(w.encode(codec)) for w in ("<!", "DOCTYPE", "ENTITY"))
        patterns.append(re.compile(bang + b"(?:" + doctype + b"|" + entity + b")", re.IGNORECASE))
    return tuple(patterns)


_DECLARATIONS = _declaration_patterns()


def _find_declaration(data: bytes | bytearray, end: int) -> int | None:
    """Where the first declaration in `data[:end]` starts, if any.

    Every spelling above holds the byte `!` (0x21): where there is none, as in most bank files,
    one memchr-fast search says so, a tenth of the time of the patterns.
    """
    if data.find(b"!", 0, end) < 0:
        return None
    starts = [found.start() for found in (p.search(data, 0, end) for p in _DECLARATIONS) if found]
    return min(starts) if starts else None


def refuse_declarations(source: str, data: XmlData) -> None:
    """Raise `BankFileRejected` if the raw bytes contain `<!DOCTYPE` or `<!ENTITY` anywhere.

    Scans UTF-8 (and ASCII-compatible charsets), UTF-16 and UTF-32 spellings; a file is read in
    256 KiB chunks into one reused buffer, so the scan's memory does not grow with the file.
    """
    if isinstance(data, bytes):
        at = _find_declaration(data, len(data))
        if at is not None:
            _refuse(source, data.count(b"\n", 0, at) + 1)
        return
    buffer = bytearray(_SCAN_OVERLAP + _SCAN_CHUNK)
    before = kept = 0  # bytes of the file before the buffer; bytes carried over from the last chunk
    with data.open("rb") as file, memoryview(buffer) as view:
        while count := file.readinto(view[kept:]):
            end = kept + count
            at = _find_declaration(buffer, end)
            if at is not None:
                _refuse(source, _line_at(data, before + at))
            kept = min(_SCAN_OVERLAP, end)
            before += end - kept
            buffer[:kept] = buffer[end - kept : end]


def _line_at(path: Path, position: int) -> int:
    """The line of the byte at `position`: counted only for a file being refused."""
    newlines = 0
    with path.open("rb") as file:
        while position > 0 and (chunk := file.read(min(_SCAN_CHUNK, position))):
            newlines += chunk.count(b"\n")
            position -= len(chunk)
    return newlines + 1


def _refuse(source: str, line: int | None) -> None:
    problem = f"the file declares a DTD or an entity (<!DOCTYPE or <!ENTITY); {NOT_ALLOWED}"
    raise BankFileRejected(source, problem, line)


def _iterparse(
    data: XmlData | Spliced, events: tuple[Event, ...], tags: list[str] | None
) -> etree.iterparse[tuple[Literal["start", "end", "comment", "pi"], Element]]:
    stream: str | io.BytesIO | Spliced
    if isinstance(data, bytes):
        stream = io.BytesIO(data)
    else:
        stream = str(data) if isinstance(data, Path) else data
    return etree.iterparse(
        stream,
        events=events,
        tag=tags,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _malformed(source: str, error: etree.XMLSyntaxError) -> BankFileRejected:
    return BankFileRejected(source, f"malformed XML: {error.msg}", error.lineno)


def _refuse_doctype(source: str, element: Element) -> None:
    # Second line of defence, e.g. a file that changed between the byte scan and the parse.
    if element.getroottree().docinfo.doctype:
        _refuse(source, 1)


def local_name(element: Element) -> str:
    """`{urn:...}GrpHdr` -> `GrpHdr`."""
    return cast(str, element.tag).rpartition("}")[2]


def namespace_of(element: Element) -> str | None:
    return etree.QName(element).namespace


def version_in(namespace: str | None) -> str | None:
    """The ISO 20022 message version a namespace names, e.g. `pain.002.001.03`, if any.

    `http://www.six-interbank-clearing.com/de/pain.002.001.03.ch.02.xsd` -> `pain.002.001.03`.
    """
    found = _VERSION.search(namespace or "")
    return found.group(0) if found else None


@dataclass(frozen=True)
class MessageKind:
    """What the start of a file says it is."""

    message: str  # local name of the message element, e.g. CstmrPmtStsRpt
    namespace: str | None
    version: str | None  # from the namespace, e.g. pain.002.001.03; None if it names none


def sniff(source: str, data: XmlData, message: str, family: str) -> MessageKind:
    """Find the `message` element among the first start tags, or refuse the file as not `family`.

    The message may sit under `Document` or under an envelope; its namespace must not name
    another message family (e.g. `camt.053` when `family` is `camt.054`).
    """
    seen: list[str] = []
    try:
        for count, (_, element) in enumerate(_iterparse(data, ("start",), None)):
            if count == 0:
                _refuse_doctype(source, element)
            name = local_name(element)
            if name == message:
                return _kind(source, element, family)
            seen.append(name)
            if count >= _SNIFF_LIMIT:
                break
    except etree.XMLSyntaxError as error:
        raise _malformed(source, error) from error
    found = "/".join(seen[:2]) or "nothing"
    raise BankFileRejected(source, f"not a {family} file: it holds <{found}>, not <{message}>")


def _kind(source: str, element: Element, family: str) -> MessageKind:
    namespace = namespace_of(element)
    version = version_in(namespace)
    if version is not None and not version.startswith(family + "."):
        raise BankFileRejected(source, f"not a {family} file: its namespace says {version}")
    return MessageKind(local_name(element), namespace, version)


class XmlStream(Iterator[tuple[Event, str, Element]]):
    """Hardened streaming parse yielding `(event, local_name, element)` for the names asked for.

    `ends` get an end event, after which (when the reader asks for the next item) the element is
    cleared and detached from its parent: read everything you need before moving on. `starts` get
    a start event only; the element is then still being parsed, but its earlier siblings are
    complete. Raises `BankFileRejected` for DTDs/entities, for a file that is not `family`, and
    for malformed XML (with the line).

    `local_names=True`: the elements come without the default namespace their root declares
    (see `without_default_namespace`), for a reader that looks at local names only.
    """

    def __init__(
        self,
        source: str,
        data: XmlData,
        *,
        message: str,
        family: str,
        ends: Collection[str],
        starts: Collection[str] = (),
        local_names: bool = False,
    ) -> None:
        refuse_declarations(source, data)
        self.source = source
        self.kind = sniff(source, data, message, family)
        self._events = self._run(data, frozenset(ends), frozenset(starts), local_names)

    def __iter__(self) -> Iterator[tuple[Event, str, Element]]:
        # The generator itself, so that a `for` loop over the stream pays no `__next__` call.
        return self._events

    def __next__(self) -> tuple[Event, str, Element]:
        return next(self._events)

    def _run(
        self, data: XmlData, ends: frozenset[str], starts: frozenset[str], local_names: bool
    ) -> Iterator[tuple[Event, str, Element]]:
        events: tuple[Event, ...] = ("start", "end") if starts else ("end",)
        tags = sorted("{*}" + name for name in ends | starts)
        names: dict[object, str] = {}  # tag -> local name: a handful in a real file
        checked = False
        stream = without_default_namespace(data) if local_names else None
        try:
            for event, element in _iterparse(data if stream is None else stream, events, tags):
                if not checked:
                    _refuse_doctype(self.source, element)
                    checked = True
                tag = element.tag
                name = names.get(tag)
                if name is None:
                    name = local_name(element)
                    if len(names) < _MAX_NAMES:
                        names[tag] = name
                if event == "start":
                    if name in starts:
                        yield "start", name, element
                elif name in ends:
                    yield "end", name, element
                    _discard(element)
        except etree.XMLSyntaxError as error:
            raise _malformed(self.source, error) from error
        finally:
            if stream is not None:
                stream.close()


def _discard(element: Element) -> None:
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)


# --- the root's default namespace, left out ---------------------------------------------------
# lxml makes an element's tag, on first reading, as "{namespace}name": for a bank file's
# namespaced elements that formatted string is the dearest part of looking at an element (0.07 µs
# against 0.03 µs for a plain name), an eighth of reading a camt.054 entry. A reader that matches
# local names only loses nothing when the elements carry no namespace, so its stream is parsed
# from the file with the `xmlns="..."` of the root's start tag overwritten by spaces: every other
# byte, line and column stays where it was (libxml2's error messages name them), and prefixed
# names, later declarations and what the file says about itself (`sniff`, the byte scan) are
# read from the file as it is.

_HEAD = 8192  # bytes in which to find the root's start tag (after the XML declaration, comments)
_PROLOG_ITEM = re.compile(rb"<\?.*?\?>|<!--.*?-->|[ \t\r\n]+", re.DOTALL)
_ROOT_START = re.compile(
    rb"<([^\s/>!?]+)"
    rb"((?:[ \t\r\n]+[^\s=/>]+[ \t\r\n]*=[ \t\r\n]*(?:\"[^\"<]*\"|'[^'<]*'))*)[ \t\r\n]*(/?)>"
)
_ATTRIBUTE = re.compile(rb"[ \t\r\n]+([^\s=/>]+)[ \t\r\n]*=[ \t\r\n]*(?:\"[^\"<]*\"|'[^'<]*')")
_ENCODING = re.compile(rb"<\?xml[ \t\r\n][^>]*?encoding[ \t\r\n]*=[ \t\r\n]*[\"']([^\"']*)")
_UTF8_BOM = b"\xef\xbb\xbf"
_ASCII_SUPERSETS = frozenset(  # one byte per ASCII character: a space for a space keeps columns
    [b"utf-8", b"utf8", b"us-ascii", b"ascii", b"latin1", b"latin-1", b"cp1252"]
    + [b"iso-8859-%d" % number for number in range(1, 17)]
    + [b"windows-%d" % number for number in range(1250, 1259)]
)
_NOT_NEWLINE = re.compile(rb"[^\r\n]")


def without_default_namespace(data: XmlData) -> Spliced:
    """The file as a binary stream, with the root's default namespace declaration blanked.

    Only a plain case is touched: a root start tag within the first 8 KiB, after an XML
    declaration naming UTF-8, ASCII or a single-byte ASCII superset (or none), holding exactly one
    ASCII `xmlns="..."`, which libxml2 takes without an error (it refuses some namespace names:
    the file must still be refused for them, and where it would be). Anything else streams as it
    is (the reader then sees the namespaces).
    """
    rest: BinaryIO
    if isinstance(data, bytes):
        head, rest = data[:_HEAD], io.BytesIO(data)  # BytesIO shares the bytes, no copy
    else:
        rest = data.open("rb")
        head = rest.read(_HEAD)
    rest.seek(len(head))
    return Spliced(_blank_default_namespace(head), rest)


def _blank_default_namespace(head: bytes) -> bytes:
    at = len(_UTF8_BOM) if head.startswith(_UTF8_BOM) else 0
    declared = _ENCODING.match(head, at)
    if declared is not None and declared.group(1).lower() not in _ASCII_SUPERSETS:
        return head
    while (item := _PROLOG_ITEM.match(head, at)) is not None:
        at = item.end()
    root = _ROOT_START.match(head, at)
    if root is None:
        return head
    found = [a for a in _ATTRIBUTE.finditer(head, *root.span(2)) if a.group(1) == b"xmlns"]
    if len(found) != 1 or not found[0].group(0).isascii() or not _root_parses(head, root):
        return head
    start, end = found[0].span()
    return head[:start] + _NOT_NEWLINE.sub(b" ", head[start:end]) + head[end:]


def _root_parses(head: bytes, root: re.Match[bytes]) -> bool:
    """Whether libxml2 reads the file's start, up to the root's start tag, without an error."""
    alone = head[: root.end()] + (b"" if root.group(3) else b"</" + root.group(1) + b">")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        etree.fromstring(alone, parser)
    except etree.XMLSyntaxError:
        return False
    return True


class Spliced:
    """A binary stream that reads `head`, then the rest of `rest` (standing just past the head).

    Reads return as many bytes as a file would, so that the parser gets the same chunks: where
    libxml2 notices some errors (a text node over its limit) depends on them.
    """

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head, self._rest = head, rest

    def read(self, size: int = -1) -> bytes:
        head = self._head
        if not head:
            return self._rest.read(size)
        self._head = head[size:] if 0 <= size < len(head) else b""
        if size < 0:
            return head + self._rest.read()
        return head[:size] if size <= len(head) else head + self._rest.read(size - len(head))

    def close(self) -> None:
        self._rest.close()


# --- reading fields, namespace-agnostic -----------------------------------------------------


def first(element: Element | None, *path: str) -> Element | None:
    """The first child (then grandchild, …) with these local names, or None."""
    for name in path:
        if element is None:
            return None
        element = next(element.iterchildren("{*}" + name), None)
    return element


def children(element: Element | None) -> Mapping[str, Element]:
    """Local name -> first child of that name, in one pass: cheaper than many `first` calls."""
    if element is None or len(element) == 0:
        return _NO_CHILDREN
    found: dict[str, Element] = {}
    for child in element:
        tag = str(child.tag)
        found.setdefault(tag[tag.find("}") + 1 :], child)  # fewer objects than rpartition
    return found


_NO_CHILDREN: Mapping[str, Element] = MappingProxyType({})


def each(element: Element, name: str) -> Iterator[Element]:
    """Every child with this local name, in document order."""
    return element.iterchildren("{*}" + name)


def text(element: Element | None, *path: str) -> str | None:
    """Stripped text at `path` below `element` (or of `element`); None if absent or empty."""
    found = first(element, *path) if path else element
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def rejected(source: str, element: Element, problem: str) -> BankFileRejected:
    return BankFileRejected(source, problem, element.sourceline)


def to_decimal(source: str, element: Element) -> Decimal:
    """An amount as Decimal (never float); refuses the file if it is not a finite number."""
    raw = (element.text or "").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        name = local_name(element)
        raise rejected(source, element, f"<{name}> {raw!r} is not an amount")
    return value


def to_datetime(source: str, element: Element) -> datetime:
    raw = (element.text or "").strip()
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        name = local_name(element)
        raise rejected(source, element, f"<{name}> {raw!r} is not a date and time") from None


def to_date(source: str, element: Element) -> date:
    """An ISODate, with or without a zone suffix (`2009-10-29`, `2009-10-29+02:00`)."""
    raw = (element.text or "").strip()
    match = _DATE.fullmatch(raw)
    try:
        if match is None:
            raise ValueError(raw)
        return date.fromisoformat(match.group(1))
    except ValueError:
        name = local_name(element)
        raise rejected(source, element, f"<{name}> {raw!r} is not a date") from None


def date_or_datetime(source: str, element: Element | None) -> date | None:
    """A `Dt` / `DtTm` choice (BookgDt, ValDt) as a date; a DtTm keeps its own local date."""
    if element is None:
        return None
    day = first(element, "Dt")
    if day is not None:
        return to_date(source, day)
    moment = first(element, "DtTm")
    return to_datetime(source, moment).date() if moment is not None else None


# --- writing ----------------------------------------------------------------------------------


def bounded(value: str, limit: int, what: str) -> str:
    """`value` if it is 1-`limit` characters long (ISO 20022 MaxNNText), else ValueError."""
    if not 1 <= len(value) <= limit:
        raise ValueError(f"{what} must be 1-{limit} characters: {value!r}")
    return value


def group_header(stream: XmlStream) -> tuple[str, datetime | None]:
    """MsgId and CreDtTm of the GrpHdr a message starts with."""
    for _, name, element in stream:
        if name != "GrpHdr":
            raise rejected(stream.source, element, f"<{name}> comes before <GrpHdr>")
        message_id = text(element, "MsgId")
        if message_id is None:
            raise rejected(stream.source, element, "<GrpHdr> has no <MsgId>")
        created = first(element, "CreDtTm")
        return message_id, to_datetime(stream.source, created) if created is not None else None
    raise BankFileRejected(stream.source, "the file has no <GrpHdr>")
