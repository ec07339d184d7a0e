"""Hardened reading of a UBL 2.1 document, and naming its elements the way people read them.

An EHF file comes from outside, so it is read under safe_xml's rules: a `<!DOCTYPE` or
`<!ENTITY` anywhere in the raw bytes refuses it whole (no XXE, no entity bombs; UBL never needs
one), and the parser resolves no entity, loads no DTD and opens no network connection. Unlike a
bank file, an invoice may carry attachments (a PDF as base64 text) longer than libxml2's default
10 MB text-node limit, so that limit is lifted (`huge_tree`); with no DTD there is nothing to
expand, and the depth stays bounded by libxml2.

Every refusal is an `ImportRejected` naming the file, the line and the element, e.g.
`Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount`.
"""

from __future__ import annotations

import re
from typing import cast

from lxml import etree

from paybot.core.bankfiles.model import BankFileRejected
from paybot.core.bankfiles.safe_xml import refuse_declarations
from paybot.core.errors import ImportRejected

Element = etree._Element

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
PREFIXES = {CAC: "cac", CBC: "cbc", EXT: "ext"}
_NAMESPACES = {prefix: namespace for namespace, prefix in PREFIXES.items()}
ROOTS = {f"{{{INVOICE_NS}}}Invoice": "Invoice", f"{{{CREDIT_NOTE_NS}}}CreditNote": "CreditNote"}
_PATH_STEPS = 12
_CLARK = re.compile(r"Q?\{([^}]*)\}")  # `{ns}name`, or XPath 3's `Q{ns}name`


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,
        remove_pis=True,
    )


def parse(source: str, data: bytes) -> Element:
    """The root of a UBL 2.1 Invoice or CreditNote, read safely; refuses anything else.

    Raises:
        ImportRejected: a DTD or entity declaration, XML that is not well-formed, or a root that
            is not a UBL 2.1 Invoice or CreditNote.
    """
    try:
        refuse_declarations(source, data)
    except BankFileRejected as exc:
        raise ImportRejected(source, exc.line or 1, None, exc.problem) from None
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise ImportRejected(
            source, max(exc.lineno or 1, 1), None, f"not well-formed XML: {exc.msg}"
        ) from None
    if root is None:  # lxml gives None for a document it recovered from nothing
        raise ImportRejected(source, 1, None, "not well-formed XML: no root element")
    if root.getroottree().docinfo.doctype:  # second line of defence, after the byte scan
        raise ImportRejected(source, 1, None, "DTDs and entities are not allowed")
    if root.tag not in ROOTS:
        raise ImportRejected(
            source,
            root.sourceline or 1,
            readable(str(root.tag)),
            "not a UBL 2.1 Invoice or CreditNote "
            f"(the root element must be Invoice in {INVOICE_NS} or CreditNote in {CREDIT_NOTE_NS})",
        )
    return root


def clark(name: str) -> str:
    """`cbc:ID` -> `{urn:...CommonBasicComponents-2}ID`."""
    prefix, _, local = name.partition(":")
    return f"{{{_NAMESPACES[prefix]}}}{local}"


def readable(tag: str) -> str:
    """`{urn:...CommonBasicComponents-2}ID` -> `cbc:ID`; the document's own namespace (the root's)
    is left out, any other kept as `{namespace}name`."""
    namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    prefix = PREFIXES.get(namespace)
    if prefix is None:
        return local if namespace in ("", INVOICE_NS, CREDIT_NOTE_NS) else tag
    return f"{prefix}:{local}"


def in_text(message: str) -> str:
    """A parser's or schema's message with UBL's `{namespace}` spelt as prefixes."""
    return _CLARK.sub(lambda found: _prefix_for(found.group(1)), message)


def _prefix_for(namespace: str) -> str:
    prefix = PREFIXES.get(namespace)
    return f"{prefix}:" if prefix else ""


def path_of(element: Element) -> str:
    """`Invoice/cac:InvoiceLine[2]/cbc:ID`: an index only where a name repeats among siblings;
    a path longer than 12 steps is shortened in the middle."""
    steps = []
    current: Element | None = element
    while current is not None:
        tag = cast(str, current.tag)
        step = readable(tag) if isinstance(current.tag, str) else "?"
        parent = current.getparent()
        if parent is not None:
            same = list(parent.iterchildren(tag))
            if len(same) > 1:
                step += f"[{same.index(current) + 1}]"
        steps.append(step)
        current = parent
    steps.reverse()
    if len(steps) > _PATH_STEPS:  # only free extension content nests this deep
        steps = [*steps[: _PATH_STEPS - 2], "…", steps[-1]]
    return "/".join(steps)


def child(element: Element | None, *names: str) -> Element | None:
    """The first child (then grandchild, ...) with these prefixed names, or None."""
    for name in names:
        if element is None:
            return None
        element = next(element.iterchildren(clark(name)), None)
    return element


def children(element: Element, name: str) -> list[Element]:
    return list(element.iterchildren(clark(name)))


def text_of(element: Element | None) -> str | None:
    """The element's stripped text (comments left out), or None where it is absent or blank."""
    if element is None:
        return None
    return "".join(element.itertext()).strip() or None


def missing(source: str, root: Element, *names: str) -> ImportRejected:
    """The refusal for the required element at `names` below `root`, absent or empty: named by
    its full path, at the line of the deepest element of that path that is there."""
    found = root
    for name in names:
        below = child(found, name)
        if below is None:
            break
        found = below
    where = "/".join((path_of(root), *names))
    return ImportRejected(source, found.sourceline or 1, where, "required, but missing or empty")
