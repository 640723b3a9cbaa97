//! Exports of an exam in the formats learning-management systems import:
//! Moodle XML, GIFT, a QTI 1.2 package as Canvas imports it, and a QTI 2.1
//! content package. Pure functions: an exam in, bytes out.
//!
//! Every question of an examfn exam has exactly one correct option. A
//! true/false question (options exactly `["True","False"]`) becomes each
//! format's native true/false type (Moodle `truefalse`, GIFT `{T}`/`{F}`,
//! Canvas `true_false_question`; QTI 2.1 has no separate type, so a
//! single-cardinality `choiceInteraction` with the choices True and False);
//! every other question becomes the native single-answer multiple choice
//! (Moodle `multichoice` with `<single>true</single>`, GIFT `{=right ~wrong}`,
//! QTI 1.2 `response_lid rcardinality="Single"`, QTI 2.1 `choiceInteraction
//! maxChoices="1"` with `cardinality="single"`). Options keep the exam's order
//! (no shuffling is switched on: the exam is exported as it was reviewed).
//!
//! Text is plain: XML formats escape it (`& < > " '`); Moodle's `html` text
//! fields and QTI 1.2's `text/html` `mattext` get it HTML-escaped first and
//! then XML-escaped, so `a < b` shows as written, line breaks as `<br>`; QTI
//! 2.1 writes line breaks as `<br/>` elements. GIFT escapes `~ = # { } :` and
//! the backslash with a backslash, writes line breaks as `\n`, and puts the
//! `[moodle]` format marker (the format unmarked GIFT text has) in front of a
//! text that starts with `[` or `%`, which Moodle and gift-pegjs would
//! otherwise read as a format marker (`[html]`) or an answer weight (`%50%`).
//! The `$CATEGORY:` line is written as it is: Moodle unescapes nothing there.
//!
//! [`check`] refuses what no format can carry as examfn grades it: a
//! question without two options, a correct answer that is not an option, a
//! blank option, and two options that read the same.

mod zip;

pub use zip::{crc32, read_stored, stored as zip_stored};

use crate::exam::Question;

/// The export formats, by the name the API takes in `?format=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Moodle,
    Gift,
    Qti12,
    Qti21,
}

impl Format {
    /// Every format, in the order they are listed to clients.
    pub const ALL: [Format; 4] = [Format::Moodle, Format::Gift, Format::Qti12, Format::Qti21];

    /// The name in `?format=`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Moodle => "moodle",
            Self::Gift => "gift",
            Self::Qti12 => "qti12",
            Self::Qti21 => "qti21",
        }
    }

    /// Parse the `?format=` value (case-insensitive, surrounding spaces ignored).
    pub fn parse(s: &str) -> Result<Self, ExportError> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| ExportError::UnknownFormat(s.to_string()))
    }

    /// The Content-Type of the download.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Moodle => "application/xml; charset=utf-8",
            Self::Gift => "text/plain; charset=utf-8",
            Self::Qti12 | Self::Qti21 => "application/zip",
        }
    }

    /// The file name suffix of the download.
    pub fn suffix(self) -> &'static str {
        match self {
            Self::Moodle => "-moodle.xml",
            Self::Gift => "-gift.txt",
            Self::Qti12 => "-qti12.zip",
            Self::Qti21 => "-qti21.zip",
        }
    }
}

/// The comma-separated list of format names, for error messages.
pub fn format_names() -> String {
    Format::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
}

/// Why an exam cannot be exported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// Malformed request (400-class).
    #[error("unknown export format {0:?}: use one of moodle, gift, qti12, qti21")]
    UnknownFormat(String),
    /// The exam cannot be expressed (422-class).
    #[error("the exam has no questions")]
    EmptyExam,
    #[error("question {0}: its correct answer is not one of its options")]
    CorrectAnswerNotAnOption(usize),
    #[error("question {0}: a multiple-choice question needs at least two options")]
    TooFewOptions(usize),
    /// Option `.1` (1-based) of question `.0` is empty or only white space.
    #[error("question {0}: option {1} is blank")]
    BlankOption(usize, usize),
    /// Two options of question `number` read the same (white space aside).
    #[error("question {number}: options {first} and {second} are the same ({text:?}); every option must differ")]
    DuplicateOption { number: usize, first: usize, second: usize, text: String },
}

/// An export ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    pub content_type: &'static str,
    /// A safe ASCII file name (`lecture1-moodle.xml`).
    pub filename: String,
    pub body: Vec<u8>,
}

/// Export `exam` (named `title`, e.g. the exam's base name `lecture1`).
pub fn export(title: &str, exam: &[Question], format: Format) -> Result<Export, ExportError> {
    check(exam)?;
    let body = match format {
        Format::Moodle => moodle_xml(title, exam).into_bytes(),
        Format::Gift => gift(title, exam).into_bytes(),
        Format::Qti12 => qti12_zip(title, exam),
        Format::Qti21 => qti21_zip(title, exam),
    };
    Ok(Export { content_type: format.content_type(), filename: format!("{}{}", file_stem(title), format.suffix()), body })
}

/// The exam is exportable: questions, each with at least two options that are
/// not blank and all differ, its correct answer one of them.
///
/// Blank and repeated options are refused rather than dropped or merged: a
/// blank answer is skipped by Moodle's import (a blank correct option would
/// leave the question without a right answer), and a repeated correct option
/// becomes two 100 % answers in Moodle XML and GIFT but one in QTI (which
/// names a single correct choice), while examfn takes either. Options are
/// compared as the importers and browsers show them: white space (and control
/// characters, which the formats drop or blank) collapsed, ends trimmed.
pub fn check(exam: &[Question]) -> Result<(), ExportError> {
    if exam.is_empty() {
        return Err(ExportError::EmptyExam);
    }
    for (i, q) in exam.iter().enumerate() {
        let number = i + 1;
        if q.options.len() < 2 {
            return Err(ExportError::TooFewOptions(number));
        }
        let shown: Vec<String> = q.options.iter().map(|o| shown_text(o)).collect();
        for (j, s) in shown.iter().enumerate() {
            if s.is_empty() {
                return Err(ExportError::BlankOption(number, j + 1));
            }
            if let Some(k) = shown[..j].iter().position(|t| t == s) {
                return Err(ExportError::DuplicateOption { number, first: k + 1, second: j + 1, text: q.options[j].clone() });
            }
        }
        if !q.options.contains(&q.correct_answer) {
            return Err(ExportError::CorrectAnswerNotAnOption(number));
        }
    }
    Ok(())
}

/// A text as an importer shows it: runs of white space and control characters
/// as one space, none at the ends.
fn shown_text(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// A file-name stem of ASCII letters, digits, `-` and `_` (others become `_`),
/// never empty; the exact name travels in `filename*` (see [`content_disposition`]).
pub fn file_stem(title: &str) -> String {
    let s: String = title.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    if s.is_empty() {
        "exam".into()
    } else {
        s
    }
}

/// `Content-Disposition: attachment` for a download named `filename` (made
/// ASCII-safe for the plain parameter, exact in the RFC 8187 `filename*`).
pub fn content_disposition(filename: &str) -> String {
    let plain: String = filename
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' && c != '%' && c != ';' { c } else { '_' })
        .collect();
    let mut encoded = String::new();
    for b in filename.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{plain}\"; filename*=UTF-8''{encoded}")
}

/// XML character data / attribute escaping. Characters XML 1.0 forbids
/// (control characters other than tab, LF, CR) are dropped.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// The lines of a text: split at CR LF, LF and a lone CR.
fn lines(s: &str) -> impl Iterator<Item = &str> {
    s.split('\n').flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'))
}

/// HTML escaping of plain text, line breaks as `br` (written `line_break`).
fn html_lines(s: &str, line_break: &str) -> String {
    lines(s).map(|l| xml_escape(l).replace("&apos;", "&#39;")).collect::<Vec<_>>().join(line_break)
}

/// HTML escaping of plain text, line breaks as `<br>` (for Moodle's html fields).
pub fn html_text(s: &str) -> String {
    html_lines(s, "<br>")
}

/// XML character data with line breaks as `<br/>` elements (QTI 2.1 inline content).
fn xml_lines(s: &str) -> String {
    lines(s).map(xml_escape).collect::<Vec<_>>().join("<br/>")
}

/// GIFT text: escaped, with the `[moodle]` format marker in front when the
/// text starts with `[` or `%` (leading white space aside, as the importers
/// trim it). Moodle and gift-pegjs read a leading `[html]`, `[plain]`,
/// `[markdown]` or `[moodle]` as the text's format and strip it, and an
/// answer's leading `%N%` as its weight (a `~%100%` option is a second right
/// answer); after an explicit marker both read the rest as text. `[moodle]`
/// is the format unmarked GIFT text has, so the text renders as every other.
pub fn gift_text(s: &str) -> String {
    let e = gift_escape(s);
    if e.trim_start().starts_with(['[', '%']) {
        format!("[moodle]{e}")
    } else {
        e
    }
}

/// The `$CATEGORY:` path of an exam: Moodle takes the rest of that line as it
/// is (it unescapes nothing there: `\:` would stay `&&058;`), so nothing is
/// escaped; `/` (the path separator) and `\` become `_`, control characters
/// (line breaks) spaces.
pub fn gift_category(title: &str) -> String {
    let name: String = title
        .chars()
        .map(|c| match c {
            '/' | '\\' => '_',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    format!("$course$/top/{}", name.trim())
}

/// GIFT escaping: `\ ~ = # { } :` get a backslash, line breaks become `\n`.
pub fn gift_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let s = s.replace("\r\n", "\n");
    for c in s.chars() {
        match c {
            '\\' | '~' | '=' | '#' | '{' | '}' | ':' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// An XML NCName for identifiers: ASCII letters, digits, `_ - .`, starting with a letter.
pub fn ident(prefix: &str, s: &str) -> String {
    let body: String = s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' { c } else { '_' }).collect();
    format!("{prefix}{body}")
}

fn kind(q: &Question) -> Kind {
    if q.is_true_false() {
        Kind::TrueFalse
    } else {
        Kind::MultiChoice
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    MultiChoice,
    TrueFalse,
}

/// A short question name: "Q3 " and the first words of the text.
fn short_name(number: usize, q: &Question) -> String {
    let mut name = format!("Q{number}");
    let text: String = q.question.split_whitespace().collect::<Vec<_>>().join(" ");
    if !text.is_empty() {
        name.push(' ');
        let mut taken: String = text.chars().take(60).collect();
        if taken.chars().count() < text.chars().count() {
            taken.push('…');
        }
        name.push_str(&taken);
    }
    name
}

// ---- Moodle XML ----------------------------------------------------------

/// Moodle XML (`<quiz>`): a category named after the exam, then one
/// `multichoice` (single answer) or `truefalse` question per exam question.
pub fn moodle_xml(title: &str, exam: &[Question]) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<quiz>\n");
    x.push_str(&format!(
        "  <question type=\"category\">\n    <category><text>$course$/top/{}</text></category>\n  </question>\n",
        xml_escape(&title.replace('/', "_"))
    ));
    for (i, q) in exam.iter().enumerate() {
        let number = i + 1;
        let head = format!(
            "    <name><text>{}</text></name>\n    <questiontext format=\"html\"><text>{}</text></questiontext>\n    \
             <generalfeedback format=\"html\"><text></text></generalfeedback>\n    <defaultgrade>1</defaultgrade>\n",
            xml_escape(&short_name(number, q)),
            xml_escape(&html_text(&q.question)),
        );
        match kind(q) {
            Kind::TrueFalse => {
                let truth = q.correct_answer == "True";
                x.push_str("  <question type=\"truefalse\">\n");
                x.push_str(&head);
                x.push_str("    <penalty>1</penalty>\n    <hidden>0</hidden>\n");
                for (text, right) in [("true", truth), ("false", !truth)] {
                    x.push_str(&format!(
                        "    <answer fraction=\"{}\" format=\"moodle_auto_format\">\n      <text>{text}</text>\n      \
                         <feedback format=\"html\"><text></text></feedback>\n    </answer>\n",
                        if right { 100 } else { 0 }
                    ));
                }
            }
            Kind::MultiChoice => {
                x.push_str("  <question type=\"multichoice\">\n");
                x.push_str(&head);
                x.push_str(
                    "    <penalty>0.3333333</penalty>\n    <hidden>0</hidden>\n    <single>true</single>\n    \
                     <shuffleanswers>false</shuffleanswers>\n    <answernumbering>abc</answernumbering>\n",
                );
                for o in &q.options {
                    x.push_str(&format!(
                        "    <answer fraction=\"{}\" format=\"html\">\n      <text>{}</text>\n      \
                         <feedback format=\"html\"><text></text></feedback>\n    </answer>\n",
                        if *o == q.correct_answer { 100 } else { 0 },
                        xml_escape(&html_text(o)),
                    ));
                }
            }
        }
        x.push_str("  </question>\n");
    }
    x.push_str("</quiz>\n");
    x
}

// ---- GIFT ----------------------------------------------------------------

/// GIFT: `::title::text{=right ~wrong}` per multiple-choice question,
/// `::title::text{T}` / `{F}` per true/false question, blank lines between.
pub fn gift(title: &str, exam: &[Question]) -> String {
    let mut g = format!("// examfn export of {}\n", title.replace(['\r', '\n'], " "));
    g.push_str(&format!("$CATEGORY: {}\n\n", gift_category(title)));
    for (i, q) in exam.iter().enumerate() {
        g.push_str(&format!("::{}::{}", gift_escape(&short_name(i + 1, q)), gift_text(&q.question)));
        match kind(q) {
            Kind::TrueFalse => g.push_str(if q.correct_answer == "True" { " {T}\n\n" } else { " {F}\n\n" }),
            Kind::MultiChoice => {
                g.push_str(" {\n");
                for o in &q.options {
                    let mark = if *o == q.correct_answer { '=' } else { '~' };
                    g.push_str(&format!("\t{mark}{}\n", gift_text(o)));
                }
                g.push_str("}\n\n");
            }
        }
    }
    g
}

// ---- QTI 1.2 (Canvas) ----------------------------------------------------

const QTI12_NS: &str = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2";
const QTI12_XSD: &str = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd";
const IMSCP_NS: &str = "http://www.imsglobal.org/xsd/imscp_v1p1";
const IMSCP_XSD: &str = "http://www.imsglobal.org/xsd/imscp_v1p1.xsd";
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// A QTI 1.2 `mattext`: `text/html`, the text HTML-escaped with line breaks as
/// `<br/>`, then XML-escaped. A `text/plain` mattext keeps raw line breaks,
/// which an HTML page lays out as spaces (pyslet's migration to QTI 2.1 turns
/// them into spaces too); `text/html` is also what Canvas writes itself.
fn qti12_mattext(s: &str) -> String {
    format!("<mattext texttype=\"text/html\">{}</mattext>", xml_escape(&html_lines(s, "<br/>")))
}

fn field(label: &str, entry: &str) -> String {
    format!("<qtimetadatafield><fieldlabel>{label}</fieldlabel><fieldentry>{entry}</fieldentry></qtimetadatafield>")
}

/// The QTI 1.2 assessment document (`<questestinterop>`), Canvas flavour:
/// `question_type` and `points_possible` in each item's metadata, one
/// `response_lid rcardinality="Single"` per item, SCORE set to 100 by the
/// correct choice (compared case-sensitively). Texts are `text/html`
/// `mattext` (see [`qti12_mattext`]).
pub fn qti12_assessment(title: &str, exam: &[Question]) -> String {
    let aid = ident("examfn_", title);
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<questestinterop xmlns=\"{QTI12_NS}\" xmlns:xsi=\"{XSI_NS}\" \
         xsi:schemaLocation=\"{QTI12_NS} {QTI12_XSD}\">\n  <assessment ident=\"{aid}\" title=\"{}\">\n    \
         <qtimetadata>{}</qtimetadata>\n    <section ident=\"root_section\">\n",
        xml_escape(title),
        field("cc_maxattempts", "1"),
    );
    for (i, q) in exam.iter().enumerate() {
        let number = i + 1;
        let qid = format!("{aid}_q{number}");
        let qtype = match kind(q) {
            Kind::TrueFalse => "true_false_question",
            Kind::MultiChoice => "multiple_choice_question",
        };
        x.push_str(&format!(
            "      <item ident=\"{qid}\" title=\"{}\">\n        <itemmetadata><qtimetadata>{}{}</qtimetadata></itemmetadata>\n        \
             <presentation>\n          <material>{}</material>\n          \
             <response_lid ident=\"response1\" rcardinality=\"Single\">\n            <render_choice>\n",
            xml_escape(&short_name(number, q)),
            field("question_type", qtype),
            field("points_possible", "1.0"),
            qti12_mattext(&q.question),
        ));
        let mut correct = String::new();
        for (j, o) in q.options.iter().enumerate() {
            let cid = format!("{qid}_c{}", j + 1);
            if *o == q.correct_answer && correct.is_empty() {
                correct = cid.clone();
            }
            x.push_str(&format!(
                "              <response_label ident=\"{cid}\"><material>{}</material></response_label>\n",
                qti12_mattext(o)
            ));
        }
        x.push_str(&format!(
            "            </render_choice>\n          </response_lid>\n        </presentation>\n        <resprocessing>\n          \
             <outcomes><decvar maxvalue=\"100\" minvalue=\"0\" varname=\"SCORE\" vartype=\"Decimal\"/></outcomes>\n          \
             <respcondition continue=\"No\">\n            <conditionvar><varequal respident=\"response1\" case=\"Yes\">{correct}</varequal></conditionvar>\n            \
             <setvar action=\"Set\" varname=\"SCORE\">100</setvar>\n          </respcondition>\n        </resprocessing>\n      </item>\n"
        ));
    }
    x.push_str("    </section>\n  </assessment>\n</questestinterop>\n");
    x
}

/// The QTI 1.2 package: `imsmanifest.xml` (IMS CP 1.1) naming one resource of
/// type `imsqti_xmlv1p2`, and the assessment at `<id>/<id>.xml`.
pub fn qti12_zip(title: &str, exam: &[Question]) -> Vec<u8> {
    let aid = ident("examfn_", title);
    let path = format!("{aid}/{aid}.xml");
    let manifest = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest identifier=\"{aid}_manifest\" xmlns=\"{IMSCP_NS}\" xmlns:xsi=\"{XSI_NS}\" \
         xsi:schemaLocation=\"{IMSCP_NS} {IMSCP_XSD}\">\n  <metadata>\n    <schema>IMS Content</schema>\n    \
         <schemaversion>1.1.3</schemaversion>\n  </metadata>\n  <organizations/>\n  <resources>\n    \
         <resource identifier=\"{aid}\" type=\"imsqti_xmlv1p2\" href=\"{path}\">\n      <file href=\"{path}\"/>\n    \
         </resource>\n  </resources>\n</manifest>\n"
    );
    zip::stored(&[
        ("imsmanifest.xml".to_string(), manifest.into_bytes()),
        (path, qti12_assessment(title, exam).into_bytes()),
    ])
}

// ---- QTI 2.1 -------------------------------------------------------------

const QTI21_NS: &str = "http://www.imsglobal.org/xsd/imsqti_v2p1";
const QTI21_XSD: &str = "http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1p2.xsd";
/// Standard response processing: SCORE 1 when the response matches the correct one.
const MATCH_CORRECT: &str = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct";

fn qti21_item_id(number: usize) -> String {
    format!("item{number}")
}

/// One QTI 2.1 `assessmentItem`: a single-cardinality identifier response,
/// a `choiceInteraction` with `maxChoices="1"` (line breaks in its prompt and
/// choices as `<br/>`), and response processing that names the match_correct
/// template and also holds that template's rules (SCORE 1 when RESPONSE
/// matches the correct response, else 0), so that an engine which does not
/// fetch templates (pyslet) scores the item too; both agree.
pub fn qti21_item(number: usize, q: &Question) -> String {
    let id = qti21_item_id(number);
    let choice_id = |j: usize| match kind(q) {
        Kind::TrueFalse if j == 0 => "choice_true".to_string(),
        Kind::TrueFalse => "choice_false".to_string(),
        Kind::MultiChoice => format!("choice_{}", j + 1),
    };
    let correct = q.options.iter().position(|o| *o == q.correct_answer).map(choice_id).unwrap_or_default();
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<assessmentItem xmlns=\"{QTI21_NS}\" xmlns:xsi=\"{XSI_NS}\" \
         xsi:schemaLocation=\"{QTI21_NS} {QTI21_XSD}\" identifier=\"{id}\" title=\"{}\" adaptive=\"false\" timeDependent=\"false\">\n  \
         <responseDeclaration identifier=\"RESPONSE\" cardinality=\"single\" baseType=\"identifier\">\n    \
         <correctResponse><value>{correct}</value></correctResponse>\n  </responseDeclaration>\n  \
         <outcomeDeclaration identifier=\"SCORE\" cardinality=\"single\" baseType=\"float\">\n    \
         <defaultValue><value>0</value></defaultValue>\n  </outcomeDeclaration>\n  <itemBody>\n    \
         <choiceInteraction responseIdentifier=\"RESPONSE\" shuffle=\"false\" maxChoices=\"1\">\n      <prompt>{}</prompt>\n",
        xml_escape(&short_name(number, q)),
        xml_lines(&q.question),
    );
    for (j, o) in q.options.iter().enumerate() {
        x.push_str(&format!("      <simpleChoice identifier=\"{}\">{}</simpleChoice>\n", choice_id(j), xml_lines(o)));
    }
    x.push_str(&format!(
        "    </choiceInteraction>\n  </itemBody>\n  <responseProcessing template=\"{MATCH_CORRECT}\">\n    \
         <responseCondition>\n      <responseIf>\n        \
         <match><variable identifier=\"RESPONSE\"/><correct identifier=\"RESPONSE\"/></match>\n        \
         <setOutcomeValue identifier=\"SCORE\"><baseValue baseType=\"float\">1</baseValue></setOutcomeValue>\n      \
         </responseIf>\n      <responseElse>\n        \
         <setOutcomeValue identifier=\"SCORE\"><baseValue baseType=\"float\">0</baseValue></setOutcomeValue>\n      \
         </responseElse>\n    </responseCondition>\n  </responseProcessing>\n</assessmentItem>\n"
    ));
    x
}

/// The QTI 2.1 `assessmentTest` referencing every item in order.
pub fn qti21_test(title: &str, exam: &[Question]) -> String {
    let tid = ident("examfn_", title);
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<assessmentTest xmlns=\"{QTI21_NS}\" xmlns:xsi=\"{XSI_NS}\" \
         xsi:schemaLocation=\"{QTI21_NS} {QTI21_XSD}\" identifier=\"{tid}\" title=\"{}\">\n  \
         <testPart identifier=\"part1\" navigationMode=\"nonlinear\" submissionMode=\"simultaneous\">\n    \
         <assessmentSection identifier=\"section1\" title=\"{}\" visible=\"true\">\n",
        xml_escape(title),
        xml_escape(title),
    );
    for i in 0..exam.len() {
        let id = qti21_item_id(i + 1);
        x.push_str(&format!("      <assessmentItemRef identifier=\"{id}\" href=\"items/{id}.xml\"/>\n"));
    }
    x.push_str("    </assessmentSection>\n  </testPart>\n</assessmentTest>\n");
    x
}

/// The QTI 2.1 content package: `imsmanifest.xml` with one
/// `imsqti_test_xmlv2p1` resource (`assessment.xml`, depending on every item)
/// and one `imsqti_item_xmlv2p1` resource per item (`items/itemN.xml`).
pub fn qti21_zip(title: &str, exam: &[Question]) -> Vec<u8> {
    let tid = ident("examfn_", title);
    let mut resources = format!(
        "    <resource identifier=\"{tid}\" type=\"imsqti_test_xmlv2p1\" href=\"assessment.xml\">\n      <file href=\"assessment.xml\"/>\n"
    );
    for i in 0..exam.len() {
        resources.push_str(&format!("      <dependency identifierref=\"res_{}\"/>\n", qti21_item_id(i + 1)));
    }
    resources.push_str("    </resource>\n");
    let mut files = Vec::with_capacity(exam.len() + 2);
    for (i, q) in exam.iter().enumerate() {
        let id = qti21_item_id(i + 1);
        let href = format!("items/{id}.xml");
        resources.push_str(&format!(
            "    <resource identifier=\"res_{id}\" type=\"imsqti_item_xmlv2p1\" href=\"{href}\">\n      <file href=\"{href}\"/>\n    </resource>\n"
        ));
        files.push((href, qti21_item(i + 1, q).into_bytes()));
    }
    let manifest = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest identifier=\"{tid}_manifest\" xmlns=\"{IMSCP_NS}\" xmlns:xsi=\"{XSI_NS}\" \
         xsi:schemaLocation=\"{IMSCP_NS} {IMSCP_XSD}\">\n  <metadata>\n    <schema>QTIv2.1 Package</schema>\n    \
         <schemaversion>1.0.0</schemaversion>\n  </metadata>\n  <organizations/>\n  <resources>\n{resources}  </resources>\n</manifest>\n"
    );
    let mut entries = vec![
        ("imsmanifest.xml".to_string(), manifest.into_bytes()),
        ("assessment.xml".to_string(), qti21_test(title, exam).into_bytes()),
    ];
    entries.extend(files);
    zip::stored(&entries)
}

#[cfg(test)]
mod tests;
