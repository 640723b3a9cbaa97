//! Structural tests of the exports, without anything to install: every XML
//! export is parsed back with a real XML tokenizer (`xmlparser`) into a small
//! tree, and the elements, attributes, order and cross-references the
//! importers need are checked; GIFT is read back by a reader that follows
//! Moodle's own GIFT import step by step (`qformat_gift::readquestion`) and
//! must give the exam again. The third-party readers, schema and DTD
//! validation are in `tests/lms_readers.rs`.

use super::*;
use crate::exam::Question;

fn q(text: &str, options: &[&str], correct: &str) -> Question {
    Question { question: text.into(), options: options.iter().map(|s| s.to_string()).collect(), correct_answer: correct.into() }
}

/// Ordinary questions plus the nasty ones: markup, entities, quotes, every
/// GIFT special, line breaks, a control character, and the cases of issue
/// #27 (GIFT weights and format markers at the start of a text).
fn exam() -> Vec<Question> {
    vec![
        q("2+2?", &["3", "4", "5", "22"], "4"),
        q("The sky is green.", &["True", "False"], "False"),
        q("Water is wet.", &["True", "False"], "True"),
        q("Is <b>bold</b> & \"quoted\" 'text' escaped?", &["a < b", "x > y & z", "it's \"q\""], "x > y & z"),
        q("GIFT: ~ = # { } : \\ all\non two lines", &["=a", "~b", "{c}", "d#e:f\\", "a -> b"], "{c}"),
        q("Bell\u{7} ]]> end", &["]]>", "<![CDATA[x]]>"], "]]>"),
        q("Weights?", &["%100%x", "%50%half", "plain", "%"], "plain"),
        q("Right weight?", &["%100%x", "%-25%minus"], "%100%x"),
        q("[html]Marked <i>text</i>", &["[plain]a", "[markdown]b", "[moodle]c", "[html]d", "[]"], "[html]d"),
        q("Windows\r\nline, old Mac\rline\n\nand a blank one", &["one\ntwo", "three"], "one\ntwo"),
    ]
}

// ---- a small XML tree over xmlparser's tokens ---------------------------

#[derive(Debug, Clone)]
struct El {
    /// Qualified name as written (`xsi:schemaLocation` style for attributes; elements here are unprefixed).
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<El>,
    text: String,
}

impl El {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    fn req(&self, name: &str) -> &str {
        self.attr(name).unwrap_or_else(|| panic!("<{}> lacks the attribute {name}", self.name))
    }
    fn kids<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a El> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    fn one(&self, name: &str) -> &El {
        let found: Vec<&El> = self.children.iter().filter(|c| c.name == name).collect();
        assert_eq!(found.len(), 1, "<{}> must have exactly one <{name}>, has {}", self.name, found.len());
        found[0]
    }
    /// Descendant by path of child names.
    fn at(&self, path: &[&str]) -> &El {
        path.iter().fold(self, |e, n| e.one(n))
    }
    /// All descendants named `name`, document order.
    fn all<'a>(&'a self, name: &str, out: &mut Vec<&'a El>) {
        for c in &self.children {
            if c.name == name {
                out.push(c);
            }
            c.all(name, out);
        }
    }
    fn find_all(&self, name: &str) -> Vec<&El> {
        let mut v = Vec::new();
        self.all(name, &mut v);
        v
    }
    fn child_names(&self) -> Vec<&str> {
        self.children.iter().map(|c| c.name.as_str()).collect()
    }
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').unwrap_or_else(|| panic!("unterminated reference in {s:?}")) + i;
        let name = &rest[i + 1..end];
        match name {
            "amp" => out.push('&'),
            "lt" => out.push('<'),
            "gt" => out.push('>'),
            "quot" => out.push('"'),
            "apos" => out.push('\''),
            n if n.starts_with("#x") => out.push(char::from_u32(u32::from_str_radix(&n[2..], 16).unwrap()).unwrap()),
            n if n.starts_with('#') => out.push(char::from_u32(n[1..].parse().unwrap()).unwrap()),
            n => panic!("undeclared entity &{n}; in {s:?}"),
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Parse a whole document; panics on anything not well-formed (tokenizer
/// errors, mismatched tags, several roots, undeclared entities).
fn parse(xml: &str) -> El {
    use xmlparser::{ElementEnd, Token, Tokenizer};
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"), "XML declaration first");
    let mut stack: Vec<El> = Vec::new();
    let mut root: Option<El> = None;
    for tok in Tokenizer::from(xml) {
        match tok.unwrap_or_else(|e| panic!("not well-formed XML: {e}\n{xml}")) {
            Token::ElementStart { prefix, local, .. } => {
                assert!(root.is_none(), "content after the root element");
                let name = if prefix.is_empty() { local.to_string() } else { format!("{prefix}:{local}") };
                stack.push(El { name, attrs: vec![], children: vec![], text: String::new() });
            }
            Token::Attribute { prefix, local, value, .. } => {
                let name = if prefix.is_empty() { local.to_string() } else { format!("{prefix}:{local}") };
                let el = stack.last_mut().unwrap();
                assert!(el.attr(&name).is_none(), "duplicate attribute {name}");
                el.attrs.push((name, unescape(value.as_str())));
            }
            Token::ElementEnd { end, .. } => {
                let close = match end {
                    ElementEnd::Open => continue,
                    ElementEnd::Empty => {
                        let el = stack.pop().unwrap();
                        // An XHTML line break in mixed content (QTI 2.1): kept
                        // in the parent's text as a line break.
                        if el.name == "br" {
                            stack.last_mut().expect("br inside an element").text.push('\n');
                        }
                        el
                    }
                    ElementEnd::Close(prefix, local) => {
                        let el = stack.pop().expect("close without open");
                        let name = if prefix.is_empty() { local.to_string() } else { format!("{prefix}:{local}") };
                        assert_eq!(el.name, name, "mismatched end tag");
                        el
                    }
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(close),
                    None => root = Some(close),
                }
            }
            Token::Text { text } => {
                let t = unescape(text.as_str());
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&t),
                    None => assert!(t.trim().is_empty(), "text outside the root"),
                }
            }
            Token::Cdata { text, .. } => stack.last_mut().expect("CDATA inside the root").text.push_str(text.as_str()),
            _ => {}
        }
    }
    assert!(stack.is_empty(), "unclosed elements");
    root.expect("a root element")
}

fn is_ncname(s: &str) -> bool {
    let mut cs = s.chars();
    matches!(cs.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
}

/// Undo Moodle's html text and QTI 1.2's text/html: XML-parsed text still
/// carries the HTML escaping and `<br>` / `<br/>` for line breaks.
fn html_plain(s: &str) -> String {
    assert!(!s.contains(['\n', '\r']), "raw line breaks in HTML lay out as spaces: {s:?}");
    unescape(&s.replace("<br/>", "\n").replace("<br>", "\n"))
}

/// What an XML export keeps of a text: control characters are not allowed in
/// XML 1.0 and dropped; every line break (CR LF, CR, LF) is a line break.
fn xml_kept(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    s.chars().filter(|c| !c.is_control() || matches!(c, '\t' | '\n')).collect()
}

// ---- Moodle XML ------------------------------------------------------------

#[test]
fn moodle_xml_has_native_types_and_round_trips_the_text() {
    let exam = exam();
    let root = parse(&moodle_xml("lecture 1 & <2>", &exam));
    assert_eq!(root.name, "quiz");
    let qs: Vec<&El> = root.kids("question").collect();
    assert_eq!(qs.len(), exam.len() + 1);
    assert_eq!(qs[0].req("type"), "category");
    assert_eq!(qs[0].at(&["category", "text"]).text, "$course$/top/lecture 1 & <2>");
    for (q, el) in exam.iter().zip(&qs[1..]) {
        assert_eq!(el.at(&["questiontext"]).req("format"), "html");
        assert_eq!(html_plain(&el.at(&["questiontext", "text"]).text), xml_kept(&q.question));
        assert!(!el.at(&["name", "text"]).text.is_empty());
        assert_eq!(el.one("defaultgrade").text, "1");
        let answers: Vec<&El> = el.kids("answer").collect();
        if q.is_true_false() {
            assert_eq!(el.req("type"), "truefalse");
            assert_eq!(answers.len(), 2);
            let right: Vec<&str> =
                answers.iter().filter(|a| a.req("fraction") == "100").map(|a| a.one("text").text.as_str()).collect();
            assert_eq!(right, vec![q.correct_answer.to_lowercase().as_str()]);
            assert!(answers.iter().all(|a| ["true", "false"].contains(&a.one("text").text.as_str())));
            assert!(el.kids("single").next().is_none());
        } else {
            assert_eq!(el.req("type"), "multichoice");
            assert_eq!(el.one("single").text, "true", "single-answer multichoice");
            assert_eq!(el.one("shuffleanswers").text, "false");
            let texts: Vec<String> = answers.iter().map(|a| html_plain(&a.one("text").text)).collect();
            assert_eq!(texts, q.options.iter().map(|o| xml_kept(o)).collect::<Vec<_>>());
            let fractions: Vec<&str> = answers.iter().map(|a| a.req("fraction")).collect();
            let expected: Vec<&str> =
                q.options.iter().map(|o| if *o == q.correct_answer { "100" } else { "0" }).collect();
            assert_eq!(fractions, expected);
        }
    }
    // Markup in a question is text, never elements.
    assert!(qs[4].at(&["questiontext", "text"]).children.is_empty());
    assert!(qs[4].at(&["questiontext", "text"]).text.contains("&lt;b&gt;bold"));
}

// ---- GIFT ----------------------------------------------------------------
//
// A reader that takes the steps of Moodle's GIFT import (question/format/gift,
// `readquestion`) for what examfn writes: blocks split at blank lines, `//`
// lines dropped, escapes replaced by placeholders first, `$CATEGORY:` taken as
// it then is, a leading `[format]` read as the text's format, an answer's
// leading `%N%` (after `~`) as its weight, placeholders put back last.

/// Moodle's placeholders for the escapes (`\\` is taken first, and stays a plain backslash).
const GIFT_ESCAPES: [(&str, &str, &str); 7] = [
    ("\\:", "&&058;", ":"),
    ("\\#", "&&035;", "#"),
    ("\\=", "&&061;", "="),
    ("\\{", "&&123;", "{"),
    ("\\}", "&&125;", "}"),
    ("\\~", "&&126;", "~"),
    ("\\n", "&&010", "\n"),
];

fn escapes_to_placeholders(s: &str) -> String {
    let mut s = s.replace("\\\\", "&&092;");
    for (esc, placeholder, _) in GIFT_ESCAPES {
        s = s.replace(esc, placeholder);
    }
    s.replace("&&092;", "\\")
}

fn placeholders_to_text(s: &str) -> String {
    GIFT_ESCAPES.iter().fold(s.to_string(), |s, (_, placeholder, c)| s.replace(placeholder, c))
}

/// Moodle's `parse_text_with_format`: (format, text).
fn gift_format_and_text(s: &str) -> (&'static str, String) {
    let mut format = "moodle";
    let mut text = s;
    if let Some(rest) = s.strip_prefix('[') {
        let end = rest.find(']').unwrap_or(rest.len());
        if let Some(f) = ["html", "plain", "moodle", "markdown"].into_iter().find(|f| *f == &rest[..end]) {
            format = f;
            text = &rest[end + 1..];
        }
    }
    (format, placeholders_to_text(text).trim().to_string())
}

/// Moodle's answer weight: `%`, any `-`, one or two digits, an optional `.`, digits, `%`.
fn gift_weight(answer: &str) -> Option<(f64, &str)> {
    let rest = answer.strip_prefix('%')?;
    let body = rest.trim_start_matches('-');
    let digits = body.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let after = &body[digits.min(2)..];
    let after = after.strip_prefix('.').unwrap_or(after);
    if !after.trim_start_matches(|c: char| c.is_ascii_digit()).starts_with('%') {
        return None;
    }
    let end = rest.find('%').unwrap();
    Some((rest[..end].parse::<f64>().unwrap() / 100.0, &rest[end + 1..]))
}

/// A question as Moodle imports it: its text, and per answer (text, fraction); formats apart.
#[derive(Debug, PartialEq)]
struct GiftQuestion {
    text: String,
    answers: Vec<(String, f64)>,
    formats: Vec<&'static str>,
}

/// The categories and questions Moodle reads from a GIFT export.
fn read_gift(file: &str) -> (Vec<String>, Vec<GiftQuestion>) {
    let mut categories = vec![];
    let mut questions = vec![];
    let mut blocks: Vec<Vec<&str>> = vec![vec![]];
    for line in file.lines() {
        if line.trim().is_empty() {
            blocks.push(vec![]);
        } else {
            blocks.last_mut().unwrap().push(line);
        }
    }
    for lines in blocks {
        let lines: Vec<&str> = lines.into_iter().map(|l| if l.trim().starts_with("//") { " " } else { l }).collect();
        let text = lines.join("\n").trim().to_string();
        if text.is_empty() {
            continue;
        }
        let text = escapes_to_placeholders(&text);
        if let Some(category) = text.strip_prefix("$CATEGORY:") {
            categories.push(category.trim().to_string());
            continue;
        }
        let rest = text.strip_prefix("::").expect("every exported question has a name");
        let name_end = rest.find("::").expect("the name ends in ::");
        let text = rest[name_end + 2..].trim();
        let (start, end) = (text.find('{').expect("an answer block"), text.find('}').expect("the block closes"));
        assert!(text.ends_with('}'), "nothing after the answers: {text:?}");
        let answer_text = text[start + 1..end].trim();
        let (format, question) = gift_format_and_text(&text[..start]);
        let mut formats = vec![format];
        if ["T", "TRUE", "F", "FALSE"].contains(&answer_text) {
            let truth = answer_text.starts_with('T');
            let answers = vec![("True".to_string(), if truth { 1.0 } else { 0.0 }), ("False".to_string(), if truth { 0.0 } else { 1.0 })];
            questions.push(GiftQuestion { text: question, answers, formats });
            continue;
        }
        // Only multiple choice has a `~` (Moodle tests it before matching's `->`).
        assert!(answer_text.contains('~'), "not multiple choice: {answer_text:?}");
        let mut answers = vec![];
        for answer in answer_text.replace('=', "~=").split('~').map(str::trim).filter(|a| !a.is_empty()) {
            let (fraction, answer) = if let Some(a) = answer.strip_prefix('=') {
                (1.0, a)
            } else {
                gift_weight(answer).unwrap_or((0.0, answer))
            };
            assert!(!answer.contains('#'), "no feedback is exported: {answer:?}");
            let (format, text) = gift_format_and_text(answer.trim());
            formats.push(format);
            answers.push((text, fraction));
        }
        questions.push(GiftQuestion { text: question, answers, formats });
    }
    (categories, questions)
}

#[test]
fn gift_reads_back_in_moodle_as_the_same_exam() {
    let exam = exam();
    let title = "Week 1: Intro #2 {draft}";
    let text = gift(title, &exam);
    assert!(text.contains("{F}") && text.contains("{T}"), "native true/false:\n{text}");
    let (cats, back) = read_gift(&text);
    assert_eq!(cats, vec![format!("$course$/top/{title}")], "the category line is read as written");
    assert_eq!(back.len(), exam.len());
    for (i, (q, got)) in exam.iter().zip(&back).enumerate() {
        // Control characters other than line breaks become spaces, nothing else changes.
        let want = |s: &str| s.replace("\r\n", "\n").replace('\r', "\n").replace('\u{7}', " ");
        let answers: Vec<(String, f64)> =
            q.options.iter().map(|o| (want(o), if *o == q.correct_answer { 1.0 } else { 0.0 })).collect();
        let expected = GiftQuestion { text: want(&q.question), answers, formats: vec!["moodle"; q.options.len() + 1] };
        let expected = if q.is_true_false() { GiftQuestion { formats: vec!["moodle"], ..expected } } else { expected };
        assert_eq!(got, &expected, "question {}", i + 1);
    }
}

#[test]
fn gift_marks_only_texts_that_start_like_a_marker_or_a_weight() {
    assert_eq!(gift_text("plain text, 50% (ok) [x]"), "plain text, 50% (ok) [x]");
    assert_eq!(gift_text("%50%half"), "[moodle]%50%half");
    assert_eq!(gift_text("[html]d"), "[moodle][html]d");
    assert_eq!(gift_text("  [plain]x"), "[moodle]  [plain]x");
    assert_eq!(gift_text("\u{0}[html]x"), "[moodle] [html]x", "a control character becomes a space, which Moodle trims");
    assert_eq!(gift_text("=a"), "\\=a");
    assert_eq!(gift_category("a/b\\c: {d} #1\n"), "$course$/top/a_b_c: {d} #1");
}

#[test]
fn gift_weights_read_as_moodle_reads_them() {
    assert_eq!(gift_weight("%50%half"), Some((0.5, "half")));
    assert_eq!(gift_weight("%100%x"), Some((1.0, "x")));
    assert_eq!(gift_weight("%-25%x"), Some((-0.25, "x")));
    assert_eq!(gift_weight("%12.5%x"), Some((0.125, "x")));
    assert_eq!(gift_weight("%%x"), None);
    assert_eq!(gift_weight("%abc%x"), None);
    assert_eq!(gift_weight("[moodle]%50%half"), None);
}

#[test]
fn gift_escapes_every_special_character() {
    assert_eq!(gift_escape("a~b=c#d{e}f:g\\h"), "a\\~b\\=c\\#d\\{e\\}f\\:g\\\\h");
    assert_eq!(gift_escape("one\r\ntwo\nthree"), "one\\ntwo\\nthree");
    assert_eq!(gift_escape("plain text, 50% (ok)"), "plain text, 50% (ok)");
}

// ---- QTI 1.2 ---------------------------------------------------------------

fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
    read_stored(bytes)
        .expect("a whole zip")
        .into_iter()
        .map(|(n, d)| (n, String::from_utf8(d).expect("UTF-8 entries")))
        .collect()
}

fn entry<'a>(files: &'a [(String, String)], name: &str) -> &'a str {
    files.iter().find(|(n, _)| n == name).map(|(_, d)| d.as_str()).unwrap_or_else(|| panic!("no {name} in the package"))
}

/// A manifest resource: (identifier, type, href, files, dependencies).
type Resource = (String, String, String, Vec<String>, Vec<String>);

/// Manifest resources; checks the IMS CP shape.
fn manifest_resources(xml: &str) -> Vec<Resource> {
    let m = parse(xml);
    assert_eq!(m.name, "manifest");
    assert_eq!(m.req("xmlns"), "http://www.imsglobal.org/xsd/imscp_v1p1");
    assert!(is_ncname(m.req("identifier")));
    assert_eq!(m.child_names(), vec!["metadata", "organizations", "resources"], "IMS CP child order");
    m.one("resources")
        .kids("resource")
        .map(|r| {
            assert!(is_ncname(r.req("identifier")));
            (
                r.req("identifier").to_string(),
                r.req("type").to_string(),
                r.req("href").to_string(),
                r.kids("file").map(|f| f.req("href").to_string()).collect(),
                r.kids("dependency").map(|d| d.req("identifierref").to_string()).collect(),
            )
        })
        .collect()
}

#[test]
fn qti12_package_is_what_canvas_imports() {
    let exam = exam();
    let files = unzip(&qti12_zip("Lecture 1 (week 2)", &exam));
    assert_eq!(files[0].0, "imsmanifest.xml", "manifest first");
    let res = manifest_resources(entry(&files, "imsmanifest.xml"));
    assert_eq!(res.len(), 1);
    let (id, ty, href, fs, _) = &res[0];
    assert_eq!(ty, "imsqti_xmlv1p2");
    assert_eq!(fs, &vec![href.clone()]);
    assert_eq!(href, &format!("{id}/{id}.xml"));
    let doc = parse(entry(&files, href));
    assert_eq!(doc.name, "questestinterop");
    assert_eq!(doc.req("xmlns"), "http://www.imsglobal.org/xsd/ims_qtiasiv1p2");
    assert!(doc.req("xsi:schemaLocation").ends_with("ims_qtiasiv1p2p1.xsd"));
    let a = doc.one("assessment");
    assert_eq!(a.req("ident"), id);
    assert_eq!(a.req("title"), "Lecture 1 (week 2)");
    assert_eq!(a.child_names(), vec!["qtimetadata", "section"], "assessment child order of the XSD");
    let items: Vec<&El> = a.one("section").kids("item").collect();
    assert_eq!(items.len(), exam.len());
    let mut idents = std::collections::HashSet::new();
    for (q, item) in exam.iter().zip(&items) {
        assert!(idents.insert(item.req("ident").to_string()), "unique item idents");
        assert_eq!(item.child_names(), vec!["itemmetadata", "presentation", "resprocessing"], "item child order of the XSD");
        let meta: Vec<(String, String)> = item
            .find_all("qtimetadatafield")
            .iter()
            .map(|f| (f.one("fieldlabel").text.clone(), f.one("fieldentry").text.clone()))
            .collect();
        let qtype = if q.is_true_false() { "true_false_question" } else { "multiple_choice_question" };
        assert!(meta.contains(&("question_type".into(), qtype.into())), "{meta:?}");
        assert!(meta.contains(&("points_possible".into(), "1.0".into())));
        let p = item.one("presentation");
        let mattext = |e: &El| {
            let m = e.at(&["material", "mattext"]);
            assert_eq!(m.req("texttype"), "text/html", "line breaks as <br/>, markup as text");
            html_plain(&m.text)
        };
        assert_eq!(mattext(p), xml_kept(&q.question));
        let lid = p.one("response_lid");
        assert_eq!(lid.req("rcardinality"), "Single");
        let labels: Vec<&El> = lid.one("render_choice").kids("response_label").collect();
        let texts: Vec<String> = labels.iter().map(|l| mattext(l)).collect();
        assert_eq!(texts, q.options.iter().map(|o| xml_kept(o)).collect::<Vec<_>>());
        let rp = item.one("resprocessing");
        assert_eq!(rp.at(&["outcomes", "decvar"]).req("varname"), "SCORE");
        let cond = rp.one("respcondition");
        let eq = cond.at(&["conditionvar", "varequal"]);
        assert_eq!(eq.req("respident"), lid.req("ident"));
        let chosen = labels.iter().find(|l| l.req("ident") == eq.text).expect("varequal names a label");
        assert_eq!(mattext(chosen), xml_kept(&q.correct_answer));
        assert_eq!(eq.req("case"), "Yes", "identifiers compare case-sensitively");
        let set = cond.one("setvar");
        assert_eq!((set.req("varname"), set.req("action"), set.text.as_str()), ("SCORE", "Set", "100"));
        for l in &labels {
            assert!(is_ncname(l.req("ident")));
        }
    }
}

// ---- QTI 2.1 ---------------------------------------------------------------

#[test]
fn qti21_package_has_items_a_test_and_a_manifest_that_agree() {
    let exam = exam();
    let files = unzip(&qti21_zip("lecture1", &exam));
    let res = manifest_resources(entry(&files, "imsmanifest.xml"));
    assert_eq!(res.len(), exam.len() + 1);
    let (test_id, ty, href, fs, deps) = &res[0];
    assert_eq!((ty.as_str(), href.as_str()), ("imsqti_test_xmlv2p1", "assessment.xml"));
    assert_eq!(fs, &vec![href.clone()]);
    let item_res = &res[1..];
    assert_eq!(deps, &item_res.iter().map(|r| r.0.clone()).collect::<Vec<_>>(), "the test depends on every item");
    for r in item_res {
        assert_eq!(r.1, "imsqti_item_xmlv2p1");
        assert_eq!(r.3, vec![r.2.clone()]);
        entry(&files, &r.2);
    }
    // Every file in the package is declared in the manifest.
    for (name, _) in &files {
        assert!(name == "imsmanifest.xml" || res.iter().any(|r| r.3.contains(name)), "{name} undeclared");
    }

    let t = parse(entry(&files, "assessment.xml"));
    assert_eq!(t.name, "assessmentTest");
    assert_eq!(t.req("xmlns"), "http://www.imsglobal.org/xsd/imsqti_v2p1");
    assert_eq!(t.req("identifier"), test_id);
    let part = t.one("testPart");
    assert!(["linear", "nonlinear"].contains(&part.req("navigationMode")));
    assert!(["individual", "simultaneous"].contains(&part.req("submissionMode")));
    let refs: Vec<&El> = part.one("assessmentSection").kids("assessmentItemRef").collect();
    assert_eq!(refs.len(), exam.len());
    for ((q, r), res) in exam.iter().zip(&refs).zip(item_res) {
        assert_eq!(r.req("href"), res.2);
        let raw = entry(&files, r.req("href"));
        // Line breaks in a prompt or a choice are <br/> elements: a raw one lays out as a space.
        for tag in ["prompt", "simpleChoice"] {
            for part in raw.split(&format!("<{tag}")).skip(1) {
                let content = &part[..part.find(&format!("</{tag}>")).expect("closed")];
                assert!(!content.contains(['\n', '\r']), "raw line break in <{tag}>: {content:?}");
            }
        }
        let item = parse(raw);
        assert_eq!(item.name, "assessmentItem");
        assert_eq!(item.req("xmlns"), "http://www.imsglobal.org/xsd/imsqti_v2p1");
        assert_eq!(item.req("identifier"), r.req("identifier"));
        assert!(is_ncname(item.req("identifier")));
        assert_eq!((item.req("adaptive"), item.req("timeDependent")), ("false", "false"));
        assert_eq!(
            item.child_names(),
            vec!["responseDeclaration", "outcomeDeclaration", "itemBody", "responseProcessing"],
            "assessmentItem child order of the XSD"
        );
        let decl = item.one("responseDeclaration");
        assert_eq!((decl.req("identifier"), decl.req("cardinality"), decl.req("baseType")), ("RESPONSE", "single", "identifier"));
        let correct: Vec<&El> = decl.one("correctResponse").kids("value").collect();
        assert_eq!(correct.len(), 1);
        assert_eq!(item.one("outcomeDeclaration").req("identifier"), "SCORE");
        let ci = item.at(&["itemBody", "choiceInteraction"]);
        assert_eq!((ci.req("responseIdentifier"), ci.req("maxChoices")), ("RESPONSE", "1"));
        assert_eq!(ci.one("prompt").text, xml_kept(&q.question));
        let choices: Vec<&El> = ci.kids("simpleChoice").collect();
        assert_eq!(choices.iter().map(|c| c.text.clone()).collect::<Vec<_>>(), q.options.iter().map(|o| xml_kept(o)).collect::<Vec<_>>());
        let ids: std::collections::HashSet<&str> = choices.iter().map(|c| c.req("identifier")).collect();
        assert_eq!(ids.len(), choices.len(), "unique choice identifiers");
        assert!(ids.iter().all(|i| is_ncname(i)));
        let right = choices.iter().find(|c| c.req("identifier") == correct[0].text).expect("correctResponse names a choice");
        assert_eq!(right.text, xml_kept(&q.correct_answer));
        if q.is_true_false() {
            assert_eq!(ids, ["choice_true", "choice_false"].into_iter().collect());
        }
        // The match_correct template, named and written out: SCORE 1 when RESPONSE matches its correct response, else 0.
        let rp = item.one("responseProcessing");
        assert!(rp.req("template").ends_with("/rptemplates/match_correct"));
        let cond = rp.one("responseCondition");
        assert_eq!(cond.child_names(), vec!["responseIf", "responseElse"]);
        let m = cond.at(&["responseIf", "match"]);
        assert_eq!(m.child_names(), vec!["variable", "correct"]);
        assert!(m.children.iter().all(|c| c.req("identifier") == "RESPONSE"));
        for (branch, value) in [("responseIf", "1"), ("responseElse", "0")] {
            let set = cond.at(&[branch, "setOutcomeValue"]);
            assert_eq!((set.req("identifier"), set.one("baseValue").req("baseType")), ("SCORE", "float"));
            assert_eq!(set.one("baseValue").text, value);
        }
    }
}

// ---- the entry point -------------------------------------------------------

#[test]
fn export_names_files_and_types_per_format() {
    let exam = exam();
    let cases = [
        (Format::Moodle, "application/xml; charset=utf-8", "lecture_1-moodle.xml"),
        (Format::Gift, "text/plain; charset=utf-8", "lecture_1-gift.txt"),
        (Format::Qti12, "application/zip", "lecture_1-qti12.zip"),
        (Format::Qti21, "application/zip", "lecture_1-qti21.zip"),
    ];
    for (f, ctype, file) in cases {
        let e = export("lecture 1", &exam, f).unwrap();
        assert_eq!((e.content_type, e.filename.as_str()), (ctype, file));
        assert_eq!(Format::parse(f.name()), Ok(f));
        assert_eq!(Format::parse(&format!(" {} ", f.name().to_uppercase())), Ok(f));
        if f.content_type() == "application/zip" {
            assert!(e.body.starts_with(b"PK\x03\x04"));
        }
    }
    assert_eq!(Format::parse("pdf"), Err(ExportError::UnknownFormat("pdf".into())));
    assert_eq!(format_names(), "moodle, gift, qti12, qti21");
    assert!(ExportError::UnknownFormat("x".into()).to_string().contains("moodle, gift, qti12, qti21"));
}

#[test]
fn unexportable_exams_are_refused() {
    assert_eq!(export("x", &[], Format::Gift), Err(ExportError::EmptyExam));
    let bad = vec![q("a?", &["1", "2"], "1"), q("b?", &["1", "2"], "3")];
    assert_eq!(export("x", &bad, Format::Moodle), Err(ExportError::CorrectAnswerNotAnOption(2)));
    let one = vec![q("a?", &["1"], "1")];
    assert_eq!(export("x", &one, Format::Qti21), Err(ExportError::TooFewOptions(1)));
    // Options are compared as they are shown: white space collapsed, ends trimmed.
    let same = vec![q("a?", &["a  b", "c", "a b"], "c")];
    assert_eq!(
        export("x", &same, Format::Gift),
        Err(ExportError::DuplicateOption { number: 1, first: 1, second: 3, text: "a b".into() })
    );
    let bell = vec![q("a?", &["a\u{7}b", "a b"], "a b")];
    assert!(matches!(check(&bell), Err(ExportError::DuplicateOption { .. })), "a control character shows as nothing or a space");
    let blank = vec![q("a?", &["x", "\u{a0}\t"], "x")];
    assert_eq!(check(&blank), Err(ExportError::BlankOption(1, 2)));
    // Case and inner characters still tell options apart.
    assert_eq!(check(&[q("a?", &["Paris", "paris", "Pa ris"], "Paris")]), Ok(()));
    // A blank or repeated option is refused before the correct answer is looked for.
    assert_eq!(check(&[q("a?", &["x", "x"], "y")]).unwrap_err().to_string(), "question 1: options 1 and 2 are the same (\"x\"); every option must differ");
}

#[test]
fn escaping_and_names_are_safe() {
    assert_eq!(xml_escape("<a href=\"x\">&'</a>\u{1}\u{7}\t"), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;\t");
    assert_eq!(html_text("a < b\n'c'"), "a &lt; b<br>&#39;c&#39;");
    assert_eq!(html_text("1\r\n2\r3\n\n4"), "1<br>2<br>3<br><br>4");
    assert_eq!(file_stem("Lecture 1: \u{e9}t\u{e9}"), "Lecture_1___t_");
    assert_eq!(file_stem(""), "exam");
    assert_eq!(ident("examfn_", "week 1 (intro)"), "examfn_week_1__intro_");
    assert_eq!(
        content_disposition("lecture 1\"-gift.txt"),
        "attachment; filename=\"lecture_1_-gift.txt\"; filename*=UTF-8''lecture%201%22-gift.txt"
    );
}
