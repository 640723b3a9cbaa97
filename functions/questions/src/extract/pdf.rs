//! Text of a lecture PDF, page by page, cleaned for question generation.
//!
//! Parsing and glyph decoding come from `pdf-extract` (font encodings,
//! ToUnicode maps, Type1/CFF/TrueType widths, on top of `lopdf`); this module
//! lays the glyphs out into lines with its own collector, then cleans the
//! pages: ligatures (ﬁ ﬂ ﬀ ﬃ ﬄ) become letters, words hyphenated at line
//! ends are joined, headers and footers repeated on most pages and bare page
//! numbers are dropped, and lines are joined into paragraphs.
//!
//! Broken input never panics or hangs the caller on a parser bug: a panic
//! inside the parser is caught and becomes [`PdfError::Unreadable`]; the
//! caller bounds the time (exam-gen runs this on a blocking thread under a
//! deadline). Inputs are checked first: not a PDF, truncated (no `%%EOF`),
//! encrypted with a password, image-only (no text) are distinct errors.
//!
//! [`write_text_pdf`] writes small uncompressed text PDFs (Helvetica), for
//! tests and the benchmark.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};

use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};

/// Why no text could be had from a PDF. The message is shown to educators.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum PdfError {
    #[error("the file is not a PDF (it does not start with %PDF-)")]
    NotPdf,
    #[error("the PDF is truncated (no %%EOF marker at its end): upload it again")]
    Truncated,
    #[error("the PDF is encrypted with a password: upload it without protection")]
    Encrypted,
    #[error("the PDF cannot be read: {0}")]
    Unreadable(String),
    #[error("the PDF has {pages} page(s) but no extractable text (a scan or images only?): upload a text PDF")]
    NoText { pages: usize },
    #[error("the PDF has {0} pages; at most {MAX_PAGES} are supported")]
    TooManyPages(usize),
}

/// Pages beyond this are refused (a lecture, not a library).
pub const MAX_PAGES: usize = 2000;

/// The cleaned text of a document: one string per page (paragraphs separated
/// by `\n`), in page order; pages without text are empty strings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PdfText {
    pub pages: Vec<String>,
}

impl PdfText {
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }
    /// Words over all pages.
    pub fn word_count(&self) -> usize {
        self.pages.iter().map(|p| p.split_whitespace().count()).sum()
    }
}

/// Extract and clean the text of a PDF held in memory.
pub fn extract(bytes: &[u8]) -> Result<PdfText, PdfError> {
    let raw = extract_raw_pages(bytes)?;
    let pages = clean_pages(&raw);
    if pages.iter().all(|p| p.trim().is_empty()) {
        return Err(PdfError::NoText { pages: pages.len() });
    }
    Ok(PdfText { pages })
}

fn header_checks(bytes: &[u8]) -> Result<(), PdfError> {
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(PdfError::NotPdf);
    }
    let tail = &bytes[bytes.len().saturating_sub(2048)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(PdfError::Truncated);
    }
    Ok(())
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "parser failure".to_string()
    }
}

/// The laid-out text of every page, before cleaning.
pub fn extract_raw_pages(bytes: &[u8]) -> Result<Vec<String>, PdfError> {
    header_checks(bytes)?;
    let loaded = catch_unwind(AssertUnwindSafe(|| pdf_extract::Document::load_mem(bytes)));
    let mut doc = match loaded {
        Ok(Ok(d)) => d,
        Ok(Err(e)) => return Err(PdfError::Unreadable(e.to_string())),
        Err(p) => return Err(PdfError::Unreadable(panic_message(p))),
    };
    if doc.is_encrypted() {
        // Owner-password-only files open with the empty user password.
        let ok = catch_unwind(AssertUnwindSafe(|| doc.decrypt("").is_ok())).unwrap_or(false);
        if !ok {
            return Err(PdfError::Encrypted);
        }
    }
    let page_ids: Vec<u32> = doc.get_pages().keys().copied().collect();
    if page_ids.is_empty() {
        return Err(PdfError::Unreadable("the document has no pages".into()));
    }
    if page_ids.len() > MAX_PAGES {
        return Err(PdfError::TooManyPages(page_ids.len()));
    }
    // pdf-extract looks inherited attributes (Resources, MediaBox) up the
    // /Parent chain without a visited set: a page that is its own ancestor
    // loops forever (found by fuzzing, fuzz/README.md).
    let pages = doc.get_pages();
    for id in pages.values() {
        parent_chain_is_finite(&doc, *id)?;
    }
    map_uni_glyph_names(&mut doc);
    // Fast path: the whole document in one pass (fonts are parsed once).
    let mut collector = Collector::new(page_ids.len());
    let whole = catch_unwind(AssertUnwindSafe(|| pdf_extract::output_doc(&doc, &mut collector)));
    if let Ok(Ok(())) = whole {
        collector.finish();
        return Ok(collector.pages);
    }
    // Slow path: page by page, keeping the pages that can be read; a page
    // pdf-extract cannot lay out (a font whose codes it cannot decode) is
    // read by lopdf's own text extraction, which decodes by the font's
    // encoding or ToUnicode map and keeps the content stream's order.
    let mut pages = Vec::with_capacity(page_ids.len());
    let mut failures = 0usize;
    let mut last_error = String::new();
    for n in &page_ids {
        let mut c = Collector::new(1);
        let error = match catch_unwind(AssertUnwindSafe(|| pdf_extract::output_doc_page(&doc, &mut c, *n))) {
            Ok(Ok(())) => {
                c.finish();
                pages.push(c.pages.into_iter().next().unwrap_or_default());
                continue;
            }
            Ok(Err(e)) => e.to_string(),
            Err(p) => panic_message(p),
        };
        match catch_unwind(AssertUnwindSafe(|| doc.extract_text(&[*n]))) {
            Ok(Ok(text)) if text.split_whitespace().next().is_some() => pages.push(lopdf_lines(&text)),
            _ => {
                failures += 1;
                last_error = error;
                pages.push(String::new());
            }
        }
    }
    if failures == page_ids.len() {
        return Err(PdfError::Unreadable(last_error));
    }
    Ok(pages)
}

/// lopdf's text of a page as the collector writes it: one line per line,
/// without the spaces lopdf leaves at their ends.
fn lopdf_lines(text: &str) -> String {
    text.lines().map(str::trim_end).collect::<Vec<_>>().join("\n").trim().to_string()
}

/// Fonts without a /ToUnicode map whose /Differences name their glyphs
/// `uniXXXX` or `uXXXX` (as Windows' PostScript driver and Ghostscript
/// write TrueType fonts): pdf-extract knows only the Adobe glyph list's
/// names, so their text came out as the base encoding's letters (`8 &"'`).
/// Such a font gets a ToUnicode CMap made from those names; codes it does
/// not list still fall back to the encoding.
fn map_uni_glyph_names(doc: &mut pdf_extract::Document) {
    use pdf_extract::{Dictionary, Object, Stream};
    let deref = |doc: &pdf_extract::Document, o: &Object| -> Option<Object> {
        match o {
            Object::Reference(id) => doc.get_object(*id).ok().cloned(),
            other => Some(other.clone()),
        }
    };
    let mut found: Vec<(pdf_extract::ObjectId, Vec<(u8, String)>)> = Vec::new();
    for (id, obj) in &doc.objects {
        let Object::Dictionary(font) = obj else { continue };
        if font.get(b"Type").and_then(Object::as_name).ok() != Some(b"Font".as_slice()) || font.has(b"ToUnicode") {
            continue;
        }
        let Some(Object::Dictionary(enc)) = font.get(b"Encoding").ok().and_then(|e| deref(doc, e)) else { continue };
        let Some(Object::Array(diffs)) = enc.get(b"Differences").ok().and_then(|d| deref(doc, d)) else { continue };
        let mut code: i64 = 0;
        let mut map = Vec::new();
        for o in &diffs {
            match deref(doc, o) {
                Some(Object::Integer(i)) => code = i,
                Some(Object::Name(n)) => {
                    if let (Ok(c), Some(text)) = (u8::try_from(code), uni_glyph_name(&n)) {
                        map.push((c, text));
                    }
                    code += 1;
                }
                _ => {}
            }
        }
        if !map.is_empty() {
            found.push((*id, map));
        }
    }
    for (id, map) in found {
        let mut cmap = String::from(
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CMapName /examfn-uni-names def\n/CMapType 2 def\n\
             1 begincodespacerange\n<00> <FF>\nendcodespacerange\n",
        );
        for chunk in map.chunks(100) {
            cmap.push_str(&format!("{} beginbfchar\n", chunk.len()));
            for (c, text) in chunk {
                let hex: String = text.encode_utf16().map(|u| format!("{u:04X}")).collect();
                cmap.push_str(&format!("<{c:02X}> <{hex}>\n"));
            }
            cmap.push_str("endbfchar\n");
        }
        cmap.push_str("endcmap\nCMapName currentdict /CMapResource defineresource pop\nend\nend\n");
        let stream = doc.add_object(Stream::new(Dictionary::new(), cmap.into_bytes()));
        if let Ok(Object::Dictionary(font)) = doc.get_object_mut(id) {
            font.set("ToUnicode", Object::Reference(stream));
        }
    }
}

/// The text a glyph name stands for by the glyph list's rules for names
/// outside it: `uni0053` (UTF-16 code units, four hex digits each, several
/// allowed) and `u1F600` (one code point, four to six hex digits).
fn uni_glyph_name(name: &[u8]) -> Option<String> {
    let name = std::str::from_utf8(name).ok()?;
    let name = name.split('.').next()?;
    let hex = |h: &str| h.len() >= 4 && h.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b));
    if let Some(h) = name.strip_prefix("uni") {
        if !hex(h) || h.len() % 4 != 0 {
            return None;
        }
        let units: Vec<u16> = (0..h.len()).step_by(4).map(|i| u16::from_str_radix(&h[i..i + 4], 16)).collect::<Result<_, _>>().ok()?;
        return String::from_utf16(&units).ok().filter(|t| !t.chars().any(char::is_control));
    }
    let h = name.strip_prefix('u')?;
    if !hex(h) || h.len() > 6 {
        return None;
    }
    char::from_u32(u32::from_str_radix(h, 16).ok()?).filter(|c| !c.is_control()).map(String::from)
}

/// Follow `/Parent` from a page: an error when it comes back to an object
/// already seen or goes deeper than any real page tree.
fn parent_chain_is_finite(doc: &pdf_extract::Document, page: pdf_extract::ObjectId) -> Result<(), PdfError> {
    let mut seen = BTreeSet::new();
    let mut id = page;
    loop {
        if !seen.insert(id) || seen.len() > 256 {
            return Err(PdfError::Unreadable(format!(
                "the page tree loops: object {} {} is its own ancestor",
                id.0, id.1
            )));
        }
        let parent = match doc.get_object(id).and_then(|o| o.as_dict()) {
            Ok(d) => d.get(b"Parent").ok().and_then(|p| p.as_reference().ok()),
            Err(_) => None,
        };
        match parent {
            Some(p) => id = p,
            None => return Ok(()),
        }
    }
}

/// Lays glyphs out into lines: a new line when the baseline moves by more
/// than half the font size, a blank line (paragraph break) when it moves by
/// more than two lines, a space when the pen jumps right.
struct Collector {
    pages: Vec<String>,
    cur: String,
    in_page: bool,
    last_end: f64,
    last_y: f64,
    last_size: f64,
    started: bool,
}

impl Collector {
    fn new(expected: usize) -> Self {
        Self {
            pages: Vec::with_capacity(expected),
            cur: String::new(),
            in_page: false,
            last_end: 0.0,
            last_y: 0.0,
            last_size: 0.0,
            started: false,
        }
    }
    fn finish(&mut self) {
        if self.in_page {
            self.pages.push(std::mem::take(&mut self.cur));
            self.in_page = false;
        }
    }
}

impl OutputDev for Collector {
    fn begin_page(&mut self, _n: u32, _mb: &MediaBox, _ab: Option<(f64, f64, f64, f64)>) -> Result<(), OutputError> {
        self.finish();
        self.in_page = true;
        self.started = false;
        Ok(())
    }
    fn end_page(&mut self) -> Result<(), OutputError> {
        self.finish();
        Ok(())
    }
    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        ch: &str,
    ) -> Result<(), OutputError> {
        let scale = (trm.m11 * trm.m22 - trm.m12 * trm.m21).abs().sqrt();
        let size = if scale.is_finite() && scale > 0.0 { font_size * scale } else { font_size.abs().max(1.0) };
        let (x, y) = (trm.m31, trm.m32);
        if !(x.is_finite() && y.is_finite()) {
            return Ok(());
        }
        if self.started {
            let dy = (y - self.last_y).abs();
            let line = self.last_size.max(size).max(0.1);
            if dy > line * 0.6 {
                self.cur.push('\n');
                if dy > line * 2.2 {
                    self.cur.push('\n');
                }
            } else if x > self.last_end + size * 0.15 && !self.cur.ends_with(' ') && ch != " " {
                self.cur.push(' ');
            } else if x < self.last_end - size * 4.0 {
                // Same baseline, far to the left: another column or a table cell.
                self.cur.push('\n');
            }
        }
        self.cur.push_str(ch);
        self.started = true;
        self.last_y = y;
        self.last_size = size;
        self.last_end = x + width * size;
        Ok(())
    }
    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

/// Replace ligatures and typographic oddities by plain letters.
pub fn normalize_chars(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\u{FB00}' => out.push_str("ff"),
            '\u{FB01}' => out.push_str("fi"),
            '\u{FB02}' => out.push_str("fl"),
            '\u{FB03}' => out.push_str("ffi"),
            '\u{FB04}' => out.push_str("ffl"),
            '\u{FB05}' | '\u{FB06}' => out.push_str("st"),
            '\u{00AD}' | '\u{200B}' | '\u{FEFF}' => {}
            '\u{00A0}' | '\u{2007}' | '\u{202F}' | '\t' => out.push(' '),
            '\u{2010}' | '\u{2011}' => out.push('-'),
            '\r' => out.push('\n'),
            c if c.is_control() && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

/// Whether a line is only a page number (`12`, `- 12 -`, `Page 3 of 40`, `3/40`).
pub fn is_page_number(line: &str) -> bool {
    let t = line.trim().trim_matches(|c: char| c == '-' || c == '–' || c == '—' || c.is_whitespace());
    if t.is_empty() {
        return false;
    }
    if t.len() <= 4 && t.chars().all(|c| c.is_ascii_digit()) {
        return true;
    }
    let lower = t.to_lowercase();
    let rest = lower.strip_prefix("page").or_else(|| lower.strip_prefix("p.")).unwrap_or(&lower).trim();
    let parts: Vec<&str> = rest.split(|c: char| c == '/' || c.is_whitespace()).filter(|s| !s.is_empty()).collect();
    match parts.as_slice() {
        [a] => rest.len() < lower.len() && a.chars().all(|c| c.is_ascii_digit()),
        [a, b] => a.chars().all(|c| c.is_ascii_digit()) && b.chars().all(|c| c.is_ascii_digit()) && rest.contains('/'),
        [a, "of", b] => a.chars().all(|c| c.is_ascii_digit()) && b.chars().all(|c| c.is_ascii_digit()),
        _ => false,
    }
}

/// A line with digits masked and case folded, to find repeated headers and
/// footers that carry the page number (`Biology 101 — page 3`).
fn shape_of(line: &str) -> String {
    let mut s = String::with_capacity(line.len());
    let mut last_space = false;
    for c in line.trim().chars() {
        if c.is_ascii_digit() {
            if !s.ends_with('#') {
                s.push('#');
            }
            last_space = false;
        } else if c.is_whitespace() {
            if !last_space {
                s.push(' ');
            }
            last_space = true;
        } else {
            s.extend(c.to_lowercase());
            last_space = false;
        }
    }
    s
}

/// How many lines at the top and bottom of a page may be header/footer.
const EDGE_LINES: usize = 3;

/// Clean raw page texts: normalise characters, drop page numbers and lines
/// repeated at the top or bottom of most pages, join hyphenated words and
/// wrap lines into paragraphs (one per output line; list items keep their
/// own line).
pub fn clean_pages(raw: &[String]) -> Vec<String> {
    let pages: Vec<Vec<String>> = raw
        .iter()
        .map(|p| normalize_chars(p).lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect())
        .collect();
    // Repeated edge lines: by shape (digits masked), or, when that would take
    // most of a typical page (slides made from one template), exact repeats
    // only, or nothing.
    let masked = repeated_edges(&pages, shape_of);
    let repeated = if share_removed(&pages, &masked, shape_of) <= 0.5 {
        masked
    } else {
        let exact = |l: &str| l.trim().to_lowercase();
        let e = repeated_edges(&pages, exact);
        if share_removed(&pages, &e, exact) <= 0.5 {
            e.into_iter().map(|l| shape_of(&l)).collect()
        } else {
            BTreeSet::new()
        }
    };
    let mut kept: Vec<Vec<String>> = Vec::with_capacity(pages.len());
    for p in &pages {
        let nonempty_idx: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_empty()).collect();
        let n = nonempty_idx.len();
        let mut lines = Vec::with_capacity(p.len());
        for (i, l) in p.iter().enumerate() {
            if l.is_empty() {
                lines.push(String::new());
                continue;
            }
            let pos = nonempty_idx.binary_search(&i).unwrap_or(0);
            let at_edge = pos < EDGE_LINES || pos + EDGE_LINES >= n;
            if at_edge && (is_page_number(l) || repeated.contains(&shape_of(l))) {
                continue;
            }
            lines.push(l.clone());
        }
        kept.push(lines);
    }
    // Vocabulary, to decide whether `foot-\nball` is `football` or `foot-ball`.
    let mut vocab: BTreeSet<String> = BTreeSet::new();
    for p in &kept {
        for l in p {
            for w in l.split_whitespace() {
                let w = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-').to_lowercase();
                if w.len() > 2 {
                    vocab.insert(w);
                }
            }
        }
    }
    kept.iter().map(|p| paragraphs(p, &vocab)).collect()
}

/// Lines (by `key`) found in the top or bottom lines of at least 60% of the
/// pages with text.
fn repeated_edges(pages: &[Vec<String>], key: impl Fn(&str) -> String) -> BTreeSet<String> {
    let with_text = pages.iter().filter(|p| p.iter().any(|l| !l.is_empty())).count();
    if with_text < 2 {
        return BTreeSet::new();
    }
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for p in pages {
        let nonempty: Vec<&String> = p.iter().filter(|l| !l.is_empty()).collect();
        let mut seen = BTreeSet::new();
        let n = nonempty.len();
        for (i, l) in nonempty.iter().enumerate() {
            if i < EDGE_LINES || i + EDGE_LINES >= n {
                let s = key(l);
                // Headers and footers are short; body sentences rarely repeat.
                let short = l.split_whitespace().count() <= 15;
                if short && s.chars().any(char::is_alphanumeric) && seen.insert(s.clone()) {
                    *counts.entry(s).or_default() += 1;
                }
            }
        }
    }
    let threshold = ((with_text as f64) * 0.6).ceil().max(2.0) as usize;
    counts.into_iter().filter(|(_, c)| *c >= threshold).map(|(s, _)| s).collect()
}

/// The median share of a page's lines that `repeated` would remove.
fn share_removed(pages: &[Vec<String>], repeated: &BTreeSet<String>, key: impl Fn(&str) -> String) -> f64 {
    if repeated.is_empty() {
        return 0.0;
    }
    let mut shares: Vec<f64> = pages
        .iter()
        .filter_map(|p| {
            let lines: Vec<&String> = p.iter().filter(|l| !l.is_empty()).collect();
            (!lines.is_empty()).then(|| {
                lines.iter().filter(|l| repeated.contains(&key(l)) || is_page_number(l)).count() as f64 / lines.len() as f64
            })
        })
        .collect();
    shares.sort_by(f64::total_cmp);
    shares.get(shares.len() / 2).copied().unwrap_or(0.0)
}

/// Whether a line starts a list item (`•`, `-`, `*`, `1.`, `a)`, ...).
pub fn list_marker_len(line: &str) -> Option<usize> {
    let t = line.trim_start();
    let lead = line.len() - t.len();
    let mut chars = t.char_indices();
    let (_, first) = chars.next()?;
    if matches!(first, '•' | '▪' | '◦' | '○' | '●' | '■' | '□' | '➢' | '►' | '–' | '—' | '*' | '-' | '·' | '\u{F0B7}' | '\u{F0A7}') {
        let after = t[first.len_utf8()..].chars().next();
        if after.is_some_and(char::is_whitespace) {
            return Some(lead + first.len_utf8());
        }
        return None;
    }
    // `12.` `3)` `a)` `(b)`
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    let rest = &t[digits..];
    if (1..=2).contains(&digits) && (rest.starts_with(". ") || rest.starts_with(") ")) {
        return Some(lead + digits + 1);
    }
    let mut it = t.chars();
    if let (Some(a), Some(')'), Some(' ')) = (it.next(), it.next(), it.next()) {
        if a.is_ascii_lowercase() {
            return Some(lead + 2);
        }
    }
    None
}

fn ends_sentence(line: &str) -> bool {
    line.trim_end().ends_with(['.', '!', '?', ':', ';'])
}

/// Join a page's lines into paragraphs.
fn paragraphs(lines: &[String], vocab: &BTreeSet<String>) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        let t = cur.trim();
        if !t.is_empty() {
            out.push(t.to_string());
        }
        cur.clear();
    };
    for (i, line) in lines.iter().enumerate() {
        if line.is_empty() {
            flush(&mut cur, &mut out);
            continue;
        }
        let is_item = list_marker_len(line).is_some();
        // A short line without final punctuation followed by a longer one is a heading.
        let next = lines.get(i + 1).map(String::as_str).unwrap_or("");
        // A section number before the title: `2.1 Data permanency`.
        let titled = line.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.').trim_start();
        let numbered = titled.len() < line.len() && line.starts_with(|c: char| c.is_ascii_digit());
        let heading = !is_item
            && (cur.is_empty() || ends_sentence(&cur))
            && line.split_whitespace().count() <= if numbered { 10 } else { 8 }
            && !ends_sentence(line)
            && titled.chars().next().is_some_and(char::is_uppercase)
            && (numbered || cur.is_empty() || line.split_whitespace().count() <= 6)
            && (next.is_empty() || next.chars().next().is_some_and(char::is_uppercase) || list_marker_len(next).is_some());
        if is_item || heading {
            flush(&mut cur, &mut out);
            cur.push_str(line);
            if heading {
                flush(&mut cur, &mut out);
            }
            continue;
        }
        if cur.is_empty() {
            cur.push_str(line);
            continue;
        }
        // Hyphenation at the line end: `exam-` + `ple`.
        if let Some(stem) = cur.strip_suffix('-') {
            let first_next: String = line.split_whitespace().next().unwrap_or("").to_string();
            let stem_word = stem.rsplit(' ').next().unwrap_or("");
            let starts_lower = first_next.chars().next().is_some_and(char::is_lowercase);
            let stem_is_word = stem_word.chars().last().is_some_and(char::is_alphabetic);
            if starts_lower && stem_is_word {
                let joined = format!("{}{}", stem_word, first_next.trim_end_matches(|c: char| !c.is_alphanumeric()))
                    .to_lowercase();
                let hyphenated = format!("{}-{}", stem_word, first_next.trim_end_matches(|c: char| !c.is_alphanumeric()))
                    .to_lowercase();
                let keep_hyphen = vocab.contains(&hyphenated) && !vocab.contains(&joined);
                if !keep_hyphen {
                    cur.pop();
                }
                cur.push_str(line);
                continue;
            }
        }
        // A previous list item ended its sentence: this line starts a new paragraph
        // only if it looks like one (capital letter after a finished sentence).
        if list_marker_len(&cur).is_some() && line.chars().next().is_some_and(char::is_uppercase)
        {
            flush(&mut cur, &mut out);
            cur.push_str(line);
            continue;
        }
        cur.push(' ');
        cur.push_str(line);
    }
    flush(&mut cur, &mut out);
    out.join("\n")
}

/// Write a small uncompressed PDF with one Helvetica text block per page,
/// `lines` per page (11 pt, 14 pt leading). Characters outside Latin-1 are
/// written as `?`. For tests and the benchmark.
pub fn write_text_pdf(pages: &[Vec<String>]) -> Vec<u8> {
    write_pdf(pages.iter().map(|p| vec![(72.0, p.clone())]).collect::<Vec<_>>().as_slice())
}

/// Like [`write_text_pdf`], with several columns per page: each page is a list
/// of `(x, lines)` text blocks drawn from the top of the page.
pub fn write_pdf(pages: &[Vec<(f64, Vec<String>)>]) -> Vec<u8> {
    let mut objects: Vec<String> = Vec::new();
    // 1: catalog, 2: pages, 3: font; then per page: page, content.
    let n = pages.len();
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 4 + 2 * i)).collect();
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".to_string());
    objects.push(format!("<< /Type /Pages /Kids [{}] /Count {} >>", kids.join(" "), n));
    objects.push("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string());
    let mut streams: Vec<Vec<u8>> = Vec::new();
    for (i, blocks) in pages.iter().enumerate() {
        let mut content: Vec<u8> = Vec::new();
        for (x, lines) in blocks {
            content.extend_from_slice(format!("BT /F1 11 Tf 14 TL {x} 770 Td\n").as_bytes());
            for l in lines {
                content.push(b'(');
                for c in l.chars() {
                    let code = c as u32;
                    match c {
                        '(' | ')' | '\\' => {
                            content.push(b'\\');
                            content.push(code as u8);
                        }
                        c if (0x20..0x7f).contains(&(c as u32)) => content.push(code as u8),
                        '–' => content.push(0x96),
                        '—' => content.push(0x97),
                        '’' => content.push(0x92),
                        '“' => content.push(0x93),
                        '”' => content.push(0x94),
                        '•' => content.push(0x95),
                        c if (0xa0..0x100).contains(&(c as u32)) => content.push(code as u8),
                        _ => content.push(b'?'),
                    }
                }
                content.extend_from_slice(b") Tj T*\n");
            }
            content.extend_from_slice(b"ET\n");
        }
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            5 + 2 * i
        ));
        objects.push(String::new()); // placeholder for the stream
        streams.push(content);
    }
    let bodies: Vec<Vec<u8>> = objects
        .iter()
        .enumerate()
        .map(|(i, obj)| {
            if i >= 3 && (i - 3) % 2 == 1 {
                let s = &streams[(i - 3) / 2];
                let mut body = format!("<< /Length {} >>\nstream\n", s.len()).into_bytes();
                body.extend_from_slice(s);
                body.extend_from_slice(b"\nendstream");
                body
            } else {
                obj.as_bytes().to_vec()
            }
        })
        .collect();
    assemble_pdf(&bodies, "")
}

/// A PDF file of the numbered objects `objects` (object 1 is the catalog),
/// with a correct cross-reference table; `trailer_extra` goes into the
/// trailer dictionary. Used by [`write_text_pdf`] and by tests that build
/// broken or hostile files object by object.
pub fn assemble_pdf(objects: &[Vec<u8>], trailer_extra: &str) -> Vec<u8> {
    let mut out: Vec<u8> = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    let extra = if trailer_extra.is_empty() { String::new() } else { format!("{trailer_extra} ") };
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R {extra}>>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by `cargo fuzz run pdf_extract` (hung pdf-extract): a page whose
    /// /Parent is itself and whose /Resources key is mangled.
    #[test]
    fn a_page_that_is_its_own_parent_fails_instead_of_looping() {
        let pdf = write_text_pdf(&[vec!["Cells divide.".to_string()], vec!["Plants grow.".to_string()]]);
        let page: &[u8] = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources";
        let at = pdf.windows(page.len()).position(|w| w == page).expect("the first page object");
        // Same length, so the xref offsets stay right.
        let mut looped = pdf.clone();
        looped[at..at + page.len()].copy_from_slice(b"<< /Type /Page /Parent 4 0 R /MediaBox [0 0 612 792] /Resourcxx");
        let t = std::time::Instant::now();
        match extract(&looped) {
            Err(PdfError::Unreadable(why)) => assert!(why.contains("loops"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(t.elapsed() < std::time::Duration::from_secs(5));
    }

    /// A page whose font maps some codes to Unicode, has no encoding for
    /// the others, and draws one of those (as TeX's math fonts do in
    /// lshort.pdf): pdf-extract panics on it ("missing unicode map and
    /// encoding"); the page is read by lopdf's text extraction instead of
    /// being dropped.
    #[test]
    fn a_page_pdf_extract_cannot_decode_is_read_by_lopdf() {
        let stream = |content: &str| format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()).into_bytes();
        let cmap = "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /T def \
                    1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfrange <20> <7E> <0020> endbfrange \
                    endcmap CMapName currentdict /CMap defineresource pop end end";
        let objects: Vec<Vec<u8>> = vec![
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 7 0 R >> >> /Contents 4 0 R >>".to_vec(),
            stream("BT /F1 11 Tf 72 720 Td (Cells divide into two daughter cells.) Tj ET"),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F2 8 0 R >> >> /Contents 6 0 R >>".to_vec(),
            stream("BT /F2 11 Tf 72 720 Td (Mitosis makes two nuclei) Tj (\\001) Tj ET"),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /TeXMath /ToUnicode 9 0 R >>".to_vec(),
            stream(cmap),
        ];
        let pdf = assemble_pdf(&objects, "");
        let doc = pdf_extract::Document::load_mem(&pdf).unwrap();
        let mut c = Collector::new(1);
        let panicked = catch_unwind(AssertUnwindSafe(|| pdf_extract::output_doc_page(&doc, &mut c, 2))).is_err();
        assert!(panicked, "the page this test is about makes pdf-extract panic");
        let pages = extract_raw_pages(&pdf).unwrap();
        assert_eq!(pages.len(), 2);
        assert!(pages[0].contains("Cells divide into two daughter cells."), "{pages:?}");
        assert!(pages[1].contains("Mitosis makes two nuclei"), "{pages:?}");
    }

    fn lines(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn glyph_names_outside_the_glyph_list_are_read_by_their_code_points() {
        assert_eq!(uni_glyph_name(b"uni0053").as_deref(), Some("S"));
        assert_eq!(uni_glyph_name(b"uni00660069").as_deref(), Some("fi"));
        assert_eq!(uni_glyph_name(b"u1F600").as_deref(), Some("😀"));
        assert_eq!(uni_glyph_name(b"uni0041.sc").as_deref(), Some("A"));
        for not in [&b"g12"[..], b"uni004", b"uniXYZW", b"u12", b"space", b"uni0007"] {
            assert_eq!(uni_glyph_name(not), None, "{:?}", String::from_utf8_lossy(not));
        }
        // A font whose /Differences say code 67 is `uni0047` (G) and that has
        // no ToUnicode map, as Windows' PostScript driver writes them: the
        // text reads G where the base encoding would say C.
        let pdf = write_text_pdf(&[vec!["Cells divide.".to_string()]]);
        let mut doc = pdf_extract::Document::load_mem(&pdf).unwrap();
        let font = doc
            .objects
            .iter()
            .find(|(_, o)| matches!(o, pdf_extract::Object::Dictionary(d) if d.get(b"Type").and_then(pdf_extract::Object::as_name).ok() == Some(b"Font".as_slice())))
            .map(|(id, _)| *id)
            .unwrap();
        let mut enc = pdf_extract::Dictionary::new();
        enc.set("Type", pdf_extract::Object::Name(b"Encoding".to_vec()));
        enc.set("BaseEncoding", pdf_extract::Object::Name(b"WinAnsiEncoding".to_vec()));
        enc.set("Differences", pdf_extract::Object::Array(vec![pdf_extract::Object::Integer(67), pdf_extract::Object::Name(b"uni0047".to_vec())]));
        if let Ok(pdf_extract::Object::Dictionary(f)) = doc.get_object_mut(font) {
            f.set("Encoding", pdf_extract::Object::Dictionary(enc));
        }
        let mut bytes = Vec::new();
        doc.save_to(&mut bytes).unwrap();
        let t = extract(&bytes).unwrap();
        assert!(t.pages[0].contains("Gells divide."), "{:?}", t.pages);
    }

    #[test]
    fn extracts_multi_page_text_in_order() {
        let pdf = write_text_pdf(&[
            lines(&["Photosynthesis is the process by which plants make sugar.", "It happens in the chloroplast."]),
            lines(&["Respiration releases energy from glucose (C6H12O6)."]),
            lines(&["Café au lait – 50% milk, ½ coffee."]),
        ]);
        let t = extract(&pdf).unwrap();
        assert_eq!(t.page_count(), 3);
        assert!(t.pages[0].contains("Photosynthesis is the process by which plants make sugar."), "{:?}", t.pages);
        assert!(t.pages[0].contains("It happens in the chloroplast."));
        assert!(t.pages[1].contains("Respiration releases energy from glucose (C6H12O6)."), "{:?}", t.pages[1]);
        assert!(t.pages[2].contains("Café au lait – 50% milk, ½ coffee."), "{:?}", t.pages[2]);
    }

    #[test]
    fn columns_stay_apart() {
        let pdf = write_pdf(&[vec![
            (50.0, lines(&["Left column starts here and", "continues on this line."])),
            (320.0, lines(&["Right column is separate.", "It ends here."])),
        ]]);
        let t = extract(&pdf).unwrap();
        let p = &t.pages[0];
        assert!(p.contains("Left column starts here and continues on this line."), "{p:?}");
        assert!(p.contains("Right column is separate. It ends here."), "{p:?}");
    }

    #[test]
    fn headers_footers_page_numbers_hyphens_and_ligatures() {
        let topics = ["Cells", "Tissues", "Organs", "Systems"];
        let mut raw: Vec<String> = topics
            .iter()
            .enumerate()
            .map(|(i, t)| {
                format!(
                    "Biology 101 — Lecture 3\n{t}\nThis page is about {t} in the body.\nEach of the {t} has a role.\nWe study {t} in detail today.\n\nPage {} of 4\n",
                    i + 1
                )
            })
            .collect();
        raw[1] = raw[1].replace(
            "\n\nPage",
            "\nThe mitochondrion is the power-\nhouse of the cell and a well-\nknown organelle.\nThe \u{FB01}rst e\u{FB00}ect is large and \u{FB02}uid.\n\nPage",
        );
        raw[2] = raw[2].replace("\n\nPage", "\nA well-known example follows.\n\nPage");
        let pages = clean_pages(&raw);
        assert_eq!(pages.len(), 4);
        for (p, t) in pages.iter().zip(topics) {
            assert!(!p.contains("Biology 101"), "header kept: {p:?}");
            assert!(!p.contains("Page"), "page number kept: {p:?}");
            assert!(p.starts_with(&format!("{t}\nThis page is about {t} in the body.")), "{p:?}");
        }
        assert!(pages[1].contains("The mitochondrion is the powerhouse of the cell and a well-known organelle."), "{:?}", pages[1]);
        assert!(pages[1].contains("The first effect is large and fluid."), "{:?}", pages[1]);
    }

    #[test]
    fn list_items_keep_their_lines() {
        let raw = vec!["The three types of rock are:\n• igneous\n• sedimentary\n• metamorphic\nRocks change over time.".to_string()];
        let p = &clean_pages(&raw)[0];
        let ls: Vec<&str> = p.lines().collect();
        assert_eq!(ls, vec!["The three types of rock are:", "• igneous", "• sedimentary", "• metamorphic", "Rocks change over time."], "{p:?}");
    }

    #[test]
    fn page_number_shapes() {
        for s in ["12", "- 3 -", "Page 4", "page 2 of 10", "3 / 40", "— 7 —"] {
            assert!(is_page_number(s), "{s}");
        }
        for s in ["1945 was a year", "Page layout", "12345", "Chapter 2", ""] {
            assert!(!is_page_number(s), "{s}");
        }
    }

    #[test]
    fn broken_inputs_are_errors_not_panics() {
        assert_eq!(extract(b"hello world"), Err(PdfError::NotPdf));
        let good = write_text_pdf(&[lines(&["Some text here."])]);
        assert_eq!(extract(&good[..good.len() / 2]), Err(PdfError::Truncated));
        // Mangled bodies: every byte flipped in turn in a window; no panic escapes.
        for i in (20..good.len() - 10).step_by(7) {
            let mut bad = good.clone();
            bad[i] ^= 0x5a;
            let _ = extract(&bad);
        }
        let mut garbage = b"%PDF-1.4\n".to_vec();
        garbage.extend(std::iter::repeat_n(b'x', 5000));
        garbage.extend_from_slice(b"\n%%EOF\n");
        assert!(matches!(extract(&garbage), Err(PdfError::Unreadable(_))));
        // A page with nothing but a rectangle: no text.
        let mut empty = write_text_pdf(&[vec![]]);
        assert!(matches!(extract(&empty), Err(PdfError::NoText { pages: 1 })));
        empty.truncate(0);
        assert_eq!(extract(&empty), Err(PdfError::NotPdf));
    }

    #[test]
    fn encrypted_pdf_is_refused() {
        // The trailer names an /Encrypt dictionary with a user password we do not know.
        let pdf = write_text_pdf(&[lines(&["Secret text."])]);
        let s = String::from_utf8_lossy(&pdf).into_owned();
        let enc = "<< /Filter /Standard /V 2 /R 3 /Length 128 /P -3904 /O <0000000000000000000000000000000000000000000000000000000000000000> /U <1111111111111111111111111111111111111111111111111111111111111111> >>";
        // Append the encryption dictionary as object 99 and reference it from the trailer.
        let body_end = s.find("xref\n").unwrap();
        let mut out = s[..body_end].to_string();
        out.push_str(&format!("99 0 obj\n{enc}\nendobj\n"));
        let xref = out.len();
        let n: usize = s[s.find("xref\n0 ").unwrap() + 7..].split('\n').next().unwrap().parse().unwrap();
        let entries: Vec<&str> = s[body_end..].lines().skip(3).take(n - 1).collect();
        out.push_str(&format!("xref\n0 {n}\n0000000000 65535 f \n"));
        for e in entries {
            out.push_str(e);
            out.push('\n');
        }
        out.push_str(&format!("99 1\n{:010} 00000 n \n", body_end));
        out.push_str(&format!(
            "trailer\n<< /Size 100 /Root 1 0 R /Encrypt 99 0 R /ID [<0102030405060708090a0b0c0d0e0f10> <0102030405060708090a0b0c0d0e0f10>] >>\nstartxref\n{xref}\n%%EOF\n"
        ));
        assert_eq!(extract(out.as_bytes()), Err(PdfError::Encrypted));
    }
}
