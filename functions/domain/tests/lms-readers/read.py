"""Reads an examfn LMS export back with third-party readers and prints what they read as JSON.

    venv/bin/python read.py READERS_DIR moodle FILE.xml
    venv/bin/python read.py READERS_DIR qti12 FILE.zip
    venv/bin/python read.py READERS_DIR qti21 FILE.zip

READERS_DIR is what install.sh printed. The output, the same for every format:

    {"readers": [...], "checks": [...], "category": "..." (Moodle only),
     "questions": [{"kind": "multichoice" | "truefalse", "text": "...",
                    "options": [{"text": "...", "credit": 0..100}]}]}

"credit" is what the reader's own grading gives a student who picks that option, in percent:
Moodle's answer fraction; for QTI, the SCORE pyslet's response processing sets when that choice
is the response, over the SCORE's maximum. Texts are what a student is shown: Moodle's html
fields and QTI's XHTML rendered to text as a browser lays it out (a run of white space is one
space, a <br> is a line break; any other element is kept as <name> so that markup a reader finds
shows up in the comparison). Validation failures (the IMS
CP 1.1.4 XSD with lxml and xmlschema, the QTI ASI 1.2.1 DTD with lxml) exit with status 1 and
say why on stderr.

pyslet 0.7.20170805 is the last release on PyPI; under Python 3 two of its paths need a word:
  - Element.get_or_add_child calls the Python 2 iterator method .next(); it is replaced by the
    same method written for Python 3 (get_or_add_child_py3 below), nothing else changes;
  - QTIDocument.migrate_to_v2 first logs str(root), which fails for an <assessment> (its
    get_children names a missing attribute); QuesTestInterop.migrate_to_v2, which that method
    calls to do the migration, is called directly instead.
"""

import io
import json
import logging
import os
import re
import sys
import tempfile
import zipfile

from lxml import etree
import lxml.html
import xmlschema

import pyslet.xml.structures as pyslet_xml


def get_or_add_child_py3(self, child_class):
    for child in self.find_children_depth_first(child_class, max_depth=1):
        return child
    return self.add_child(child_class)


pyslet_xml.Element.get_or_add_child = get_or_add_child_py3

import pyslet.html401 as pyslet_html  # noqa: E402
import pyslet.imscpv1p2 as imscp  # noqa: E402
import pyslet.qtiv1.xml as qtiv1  # noqa: E402
import pyslet.qtiv2.interactions as qti2_interactions  # noqa: E402
import pyslet.qtiv2.variables as qti2_variables  # noqa: E402
import pyslet.qtiv2.xml as qtiv2  # noqa: E402
from moodle_xml_parser import parser as moodle_parser  # noqa: E402

# pyslet's HTML parser warns about every text/html mattext it reads as a fragment ("Unexpected
# data (in body)"); what it reads is checked here, so only its errors are shown
logging.basicConfig(level=logging.ERROR)

PARSER = etree.XMLParser(no_network=True, resolve_entities=False)
QTI12_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"


class Invalid(Exception):
    pass


# ---- rendering text --------------------------------------------------------------------------

HTML_SPACE = re.compile(r"[ \t\n\r\f]+")


def laid_out(data):
    """Character data as HTML lays it out: a run of white space is one space."""
    return HTML_SPACE.sub(" ", data)


def html_text(fragment):
    """What an html field shows, by lxml's HTML parser: text, <br> as a line break."""
    if fragment == "":
        return ""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    out = []

    def walk(el):
        if el.text:
            out.append(laid_out(el.text))
        for child in el:
            if child.tag == "br":
                out.append("\n")
            else:
                out.append("<%s>" % child.tag)
                walk(child)
            if child.tail:
                out.append(laid_out(child.tail))

    walk(root)
    return "".join(out)


def pyslet_text(element, skip=()):
    """The text of pyslet QTI 2 content: data as it is, <br/> as a line break, other elements
    (except those of the classes in skip) as <name> followed by their text."""
    out = []
    for child in element.get_children():
        if isinstance(child, str):
            out.append(laid_out(child))
        elif isinstance(child, skip):
            continue
        elif isinstance(child, pyslet_html.Br):
            out.append("\n")
        elif isinstance(child, pyslet_html.P) and not out:
            out.append(pyslet_text(child, skip))
        else:
            out.append("<%s>" % child.xmlname)
            out.append(pyslet_text(child, skip))
    return "".join(out)


# ---- validation -------------------------------------------------------------------------------


def validate_manifest(readers, manifest_bytes, checks):
    """imsmanifest.xml against the IMS CP 1.1.4 XSD, with lxml (libxml2) and with xmlschema."""
    xsd_path = os.path.join(readers, "schemas", "imscp_v1p1.xsd")
    doc = etree.fromstring(manifest_bytes, PARSER)
    schema = etree.XMLSchema(etree.parse(xsd_path, PARSER))
    if not schema.validate(doc):
        raise Invalid("imsmanifest.xml is not valid against the IMS CP 1.1.4 XSD (lxml):\n%s" % schema.error_log)
    checks.append("imsmanifest.xml valid against the IMS CP 1.1.4 XSD (lxml %s)" % etree.__version__)
    xs = xmlschema.XMLSchema10(xsd_path, allow="local")
    errors = [str(e) for e in xs.iter_errors(io.BytesIO(manifest_bytes), use_location_hints=False)]
    if errors:
        raise Invalid("imsmanifest.xml is not valid against the IMS CP 1.1.4 XSD (xmlschema):\n%s" % "\n".join(errors))
    checks.append("imsmanifest.xml valid against the IMS CP 1.1.4 XSD (xmlschema %s)" % xmlschema.__version__)


def qti12_dtd(readers):
    """The QTI ASI 1.2.1 DTD, with the root's namespace attributes declared (the DTD predates XML
    namespaces; Canvas's own QTI 1.2 files carry the same xmlns and xsi:schemaLocation)."""
    ims = os.path.join(readers, "schemas", "ims_qtiasiv1p2p1.dtd")
    wrapper = (
        "<!ATTLIST questestinterop xmlns CDATA #FIXED '%s'\n"
        "    xmlns:xsi CDATA #FIXED 'http://www.w3.org/2001/XMLSchema-instance'\n"
        "    xsi:schemaLocation CDATA #IMPLIED>\n"
        "<!ENTITY %% ims SYSTEM '%s'>\n%%ims;\n" % (QTI12_NS, ims)
    )
    return etree.DTD(io.StringIO(wrapper))


def validate_qti12(readers, name, data, checks):
    dtd = qti12_dtd(readers)
    if not dtd.validate(etree.fromstring(data, PARSER)):
        raise Invalid("%s is not valid against the QTI ASI 1.2.1 DTD (lxml):\n%s" % (name, dtd.error_log))
    checks.append("%s valid against the QTI ASI 1.2.1 DTD (lxml %s)" % (name, etree.__version__))


# ---- Moodle XML -------------------------------------------------------------------------------


def read_moodle(readers, path):
    data = open(path, "rb").read()
    parsed = moodle_parser.parse_bytes(data)["multichoice"]
    root = etree.fromstring(data, PARSER)
    category = None
    questions = []
    mc = iter(parsed)
    for q in root.findall("question"):
        kind = q.get("type")
        if kind == "category":
            category = q.findtext("category/text")
            continue
        text = html_text(q.findtext("questiontext/text") or "")
        if kind == "multichoice":
            # moodle-xml-parser's reading: the answers and their fractions, single or not
            got = next(mc)
            if not got.single:
                raise Invalid("question %r is not single-answer" % got.name)
            raw = [html_text(a.findtext("text") or "") for a in q.findall("answer")]
            if len(raw) != len(got.options):
                raise Invalid("moodle-xml-parser read %d answers, the file has %d" % (len(got.options), len(raw)))
            options = [{"text": t, "credit": o.score_fraction} for t, o in zip(raw, got.options)]
        elif kind == "truefalse":
            # moodle-xml-parser reads only multichoice; Moodle's truefalse import takes the answer
            # whose text is "true" as True and the other as False, with their fractions
            credit = {a.findtext("text"): float(a.get("fraction")) for a in q.findall("answer")}
            if sorted(credit) != ["false", "true"]:
                raise Invalid("truefalse answers are %r" % sorted(credit))
            options = [{"text": "True", "credit": credit["true"]}, {"text": "False", "credit": credit["false"]}]
        else:
            raise Invalid("unexpected question type %r" % kind)
        questions.append({"kind": kind, "text": text, "options": options})
    return {
        "readers": ["moodle-xml-parser 0.3.1 (multichoice)", "lxml %s (truefalse, category, html)" % etree.__version__],
        "checks": [],
        "category": category,
        "questions": questions,
    }


# ---- QTI: pyslet ------------------------------------------------------------------------------


def score_item(item):
    """The credit pyslet's response processing gives each choice of the item's one
    choiceInteraction, in percent of SCORE's maximum (normalMaximum, else 1)."""
    interactions = list(item.find_children_depth_first(qti2_interactions.ChoiceInteraction))
    if len(interactions) != 1:
        raise Invalid("%s has %d choiceInteractions" % (item.identifier, len(interactions)))
    ci = interactions[0]
    if ci.maxChoices != 1:
        raise Invalid("%s: maxChoices is %r" % (item.identifier, ci.maxChoices))
    decl = item.get_declaration(ci.responseIdentifier)
    if decl.cardinality != qti2_variables.Cardinality.single:
        raise Invalid("%s: the response is not single" % item.identifier)
    score_decl = item.get_declaration("SCORE")
    maximum = score_decl.normalMaximum if score_decl.normalMaximum else 1.0
    options = []
    for choice in ci.SimpleChoice:
        state = qti2_variables.ItemSessionState(item)
        state.begin_session()
        state[ci.responseIdentifier] = qti2_variables.IdentifierValue(choice.identifier)
        state.end_attempt()
        score = state["SCORE"].value or 0.0
        options.append({"text": pyslet_text(choice), "credit": round(100.0 * score / maximum, 6)})
    return ci, options


def kind_of(options):
    return "truefalse" if [o["text"] for o in options] == ["True", "False"] else "multichoice"


def read_qti12(readers, path):
    checks = []
    with zipfile.ZipFile(path) as z:
        validate_manifest(readers, z.read("imsmanifest.xml"), checks)
    questions = []
    cp = imscp.ContentPackage(path)
    try:
        resources = list(cp.manifest.root.Resources.Resource)
        if [r.type for r in resources] != ["imsqti_xmlv1p2"]:
            raise Invalid("resources %r" % [r.type for r in resources])
        f = resources[0].File[0]
        qti_path = str(f.package_path(cp))
        full = os.path.join(str(cp.dPath), qti_path)
        validate_qti12(readers, qti_path, open(full, "rb").read(), checks)
        doc = qtiv1.QTIDocument(baseURI=full)
        doc.read()
        migrated = doc.root.migrate_to_v2()
        for v2doc, _lom, log in migrated:
            item = v2doc.root
            problems = [m for m in log if not m.startswith("Warning: case-insensitive")]
            if problems:
                raise Invalid("pyslet's migration of %s logged %r" % (item.identifier, problems))
            ci, options = score_item(item)
            text = pyslet_text(item.ItemBody, skip=(qti2_interactions.ChoiceInteraction,))
            questions.append({"kind": kind_of(options), "text": text, "options": options})
    finally:
        cp.close()
    return {
        "readers": ["pyslet 0.7.20170805 (IMS CP, QTI 1.2 -> 2.1 migration, scoring)"],
        "checks": checks,
        "questions": questions,
    }


def read_qti21(readers, path):
    checks = []
    with zipfile.ZipFile(path) as z:
        validate_manifest(readers, z.read("imsmanifest.xml"), checks)
    questions = []
    cp = imscp.ContentPackage(path)
    try:
        resources = {r.id: r for r in cp.manifest.root.Resources.Resource}
        tests = [r for r in resources.values() if r.type == "imsqti_test_xmlv2p1"]
        if len(tests) != 1:
            raise Invalid("%d test resources" % len(tests))
        test_res = tests[0]
        # the test's items, in the test's order, each a declared item resource it depends on
        test_path = os.path.join(str(cp.dPath), str(test_res.File[0].package_path(cp)))
        test_doc = qtiv2.QTIDocument(baseURI=test_path)
        test_doc.read()
        refs = list(test_doc.root.find_children_depth_first(qtiv2.tests.AssessmentItemRef))
        deps = [d.identifierref for d in test_res.Dependency]
        hrefs = {str(resources[d].href): resources[d] for d in deps}
        for ref in refs:
            href = str(ref.href)
            if href not in hrefs or hrefs[href].type != "imsqti_item_xmlv2p1":
                raise Invalid("the test's item %s is not an item resource the test depends on" % href)
            doc = qtiv2.QTIDocument(baseURI=os.path.join(str(cp.dPath), href))
            doc.read()
            item = doc.root
            ci, options = score_item(item)
            # the question: the interaction's prompt (and anything before the interaction)
            text = pyslet_text(item.ItemBody, skip=(qti2_interactions.ChoiceInteraction,))
            if ci.Prompt is not None:
                text += pyslet_text(ci.Prompt)
            questions.append({"kind": kind_of(options), "text": text, "options": options})
    finally:
        cp.close()
    return {
        "readers": ["pyslet 0.7.20170805 (IMS CP, QTI 2.1 test and items, scoring)"],
        "checks": checks,
        "questions": questions,
    }


def main():
    readers, fmt, path = sys.argv[1:4]
    read = {"moodle": read_moodle, "qti12": read_qti12, "qti21": read_qti21}[fmt]
    try:
        out = read(readers, path)
    except Invalid as e:
        print("read.py: %s: %s" % (fmt, e), file=sys.stderr)
        sys.exit(1)
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
