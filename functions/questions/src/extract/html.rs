//! HTML pages (.html): a tolerant tokenizer of its own, for text only — no
//! DOM, no CSS, no script is ever run. Headings `h1`…`h6`, list items at
//! their depth (numbered in `ol`), table rows, paragraphs and other blocks
//! (a `<br>` ends a line); the contents of `script`, `style`, `template`,
//! `noscript`, `iframe`, `svg`, `math`, `head`, `nav`, `footer`, `pre` and
//! `code` blocks, form controls and anything `hidden` (the attribute,
//! `aria-hidden="true"`, `display:none`) are left out. Entities are decoded
//! (the common named ones and every numeric one); a page in a legacy
//! charset is read in it (`<meta charset>`, else Windows-1252 when it is not
//! UTF-8). Pages by size.

use super::blocks::{Block, Pager};
use super::{ExtractError, Pages};

pub(crate) fn extract(bytes: &[u8]) -> Result<Pages, ExtractError> {
    let text = decode(bytes);
    let mut pager = Pager::new();
    for b in blocks_of(&text) {
        pager.push(b);
    }
    Ok(Pages { pages: pager.finish(), notes: Vec::new() })
}

/// The text of an HTML file in its charset.
pub fn decode(bytes: &[u8]) -> String {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        return enc.decode_without_bom_handling(&bytes[bom..]).0.into_owned();
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_string();
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).to_ascii_lowercase();
    let label = head.find("charset=").map(|i| {
        head[i + 8..].trim_start_matches(['"', '\'']).chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')).collect::<String>()
    });
    let enc = label.and_then(|l| encoding_rs::Encoding::for_label(l.as_bytes())).unwrap_or(encoding_rs::WINDOWS_1252);
    enc.decode_without_bom_handling(bytes).0.into_owned()
}

/// Elements whose contents are raw text, not markup.
const RAW: &[&str] = &["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext"];
/// Elements whose contents are not the lecture's text.
const SKIP: &[&str] = &["head", "template", "svg", "math", "nav", "footer", "select", "button", "pre", "object", "canvas", "audio", "video", "datalist", "dialog"];
/// Elements without an end tag.
const VOID: &[&str] = &["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"];
/// Elements that start and end a block of text.
const BLOCK: &[&str] = &[
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "div", "dl", "dt", "fieldset", "figcaption", "figure",
    "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend", "li", "main", "menu", "ol", "p", "section", "summary",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
];

/// A start or end tag.
#[derive(Debug)]
struct TagToken {
    name: String,
    end: bool,
    self_closing: bool,
    attrs: Vec<(String, String)>,
}

impl TagToken {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    fn hidden(&self) -> bool {
        self.attr("hidden").is_some()
            || self.attr("aria-hidden") == Some("true")
            || self.attr("style").is_some_and(|s| {
                let s: String = s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
                s.contains("display:none") || s.contains("visibility:hidden")
            })
    }
}

/// Parse a tag at `s` (which starts with `<`): the token and its length;
/// `None` when `<` does not start a tag.
fn tag_at(s: &str) -> Option<(TagToken, usize)> {
    let b = s.as_bytes();
    let mut i = 1;
    let end = b.get(1) == Some(&b'/');
    if end {
        i += 1;
    }
    if !b.get(i).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let start = i;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'-' | b':' | b'_')) {
        i += 1;
    }
    let name = s[start..i].to_ascii_lowercase();
    let mut attrs = Vec::new();
    let mut self_closing = false;
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            self_closing = b[i] == b'/';
            i += 1;
        }
        if i >= b.len() {
            return Some((TagToken { name, end, self_closing, attrs }, b.len()));
        }
        if b[i] == b'>' {
            return Some((TagToken { name, end, self_closing, attrs }, i + 1));
        }
        self_closing = false;
        let k0 = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let key = s[k0..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if b.get(i) == Some(&b'=') {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if let Some(&q) = b.get(i).filter(|q| matches!(q, b'"' | b'\'')) {
                let v0 = i + 1;
                let close = s[v0..].find(q as char).map_or(b.len(), |j| v0 + j);
                value = entities(&s[v0..close]);
                i = (close + 1).min(b.len());
            } else {
                let v0 = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                    i += 1;
                }
                value = entities(&s[v0..i]);
            }
        }
        if !key.is_empty() {
            attrs.push((key, value));
        }
    }
}

/// Where the element `name`'s raw text ends: the index of its `</name`, or
/// the end.
fn raw_end(s: &str, name: &str) -> usize {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(j) = s[from..].find("</") {
        let at = from + j;
        let n = &b[at + 2..];
        if n.len() >= name.len()
            && n[..name.len()].eq_ignore_ascii_case(name.as_bytes())
            && n.get(name.len()).is_none_or(|c| c.is_ascii_whitespace() || matches!(c, b'>' | b'/'))
        {
            return at;
        }
        from = at + 2;
    }
    s.len()
}

/// Block structure of an HTML document or fragment.
pub fn blocks_of(html: &str) -> Vec<Block> {
    let mut w = Writer::default();
    let mut i = 0;
    let mut skip: Vec<String> = Vec::new();
    while i < html.len() {
        let rest = &html[i..];
        let Some(lt) = rest.find('<') else {
            if skip.is_empty() {
                w.text(&entities(rest));
            }
            break;
        };
        if lt > 0 {
            if skip.is_empty() {
                w.text(&entities(&rest[..lt]));
            }
            i += lt;
            continue;
        }
        if rest.starts_with("<!--") {
            i += rest[4..].find("-->").map_or(rest.len(), |j| j + 7);
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            i += rest.find('>').map_or(rest.len(), |j| j + 1);
            continue;
        }
        let Some((tag, len)) = tag_at(rest) else {
            if skip.is_empty() {
                w.text("<");
            }
            i += 1;
            continue;
        };
        i += len;
        let name = tag.name.as_str();
        if !tag.end && RAW.contains(&name) && !tag.self_closing {
            // Never markup, never run: skipped to its end tag.
            i += raw_end(&html[i..], name);
            continue;
        }
        if let Some(top) = skip.last() {
            if tag.end && name == top {
                skip.pop();
            } else if !tag.end && name == top && !tag.self_closing {
                skip.push(name.to_string());
            } else if !tag.end && name == "body" && top == "head" {
                skip.clear();
            }
            continue;
        }
        if !tag.end && !VOID.contains(&name) && !tag.self_closing && (SKIP.contains(&name) || tag.hidden()) {
            w.flush();
            skip.push(name.to_string());
            continue;
        }
        w.tag(&tag);
    }
    w.flush();
    w.blocks
}

#[derive(Default)]
struct Writer {
    blocks: Vec<Block>,
    cur: String,
    heading: Option<u8>,
    /// Open lists: numbered (next number) or not.
    lists: Vec<Option<u32>>,
    /// Open list items: their level and number.
    items: Vec<(u8, Option<u32>)>,
    tables: usize,
    row: Option<Vec<String>>,
    cell: Option<String>,
}

impl Writer {
    fn text(&mut self, t: &str) {
        self.cur.push_str(t);
    }

    fn flush(&mut self) {
        let text = std::mem::take(&mut self.cur);
        if let Some(c) = self.cell.as_mut() {
            c.push(' ');
            c.push_str(&text);
            return;
        }
        for line in text.split('\n') {
            if line.trim().is_empty() {
                continue;
            }
            let line = line.to_string();
            self.blocks.push(if let Some(l) = self.heading {
                Block::Heading(l, line)
            } else if let Some((level, number)) = self.items.last() {
                Block::Item { level: *level, number: *number, text: line }
            } else {
                Block::Para(line)
            });
        }
    }

    fn tag(&mut self, t: &TagToken) {
        let name = t.name.as_str();
        if name == "br" {
            self.cur.push('\n');
            return;
        }
        if !BLOCK.contains(&name) {
            if matches!(name, "img" | "input") {
                self.cur.push(' ');
            }
            return;
        }
        self.flush();
        let heading = name.len() == 2 && name.starts_with('h') && name.as_bytes()[1].is_ascii_digit();
        match (name, t.end) {
            (_, false) if heading => self.heading = Some(name.as_bytes()[1] - b'0'),
            (_, true) if heading => self.heading = None,
            ("ul" | "menu" | "dl", false) => self.lists.push(None),
            ("ol", false) => self.lists.push(Some(t.attr("start").and_then(|s| s.trim().parse().ok()).unwrap_or(1))),
            ("ul" | "ol" | "menu" | "dl", true) => {
                self.lists.pop();
                // Items left open inside the list end with it.
                let depth = self.lists.len();
                self.items.retain(|(l, _)| usize::from(*l) < depth);
            }
            ("li", false) => {
                let level = self.lists.len().saturating_sub(1).min(8) as u8;
                // An `li` ends the one before it at its level.
                self.items.retain(|(l, _)| *l < level);
                let number = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        *n += 1;
                        Some(*n - 1)
                    }
                    _ => None,
                };
                self.items.push((level, number));
            }
            ("li", true) => {
                self.items.pop();
            }
            ("table", false) => self.tables += 1,
            ("table", true) => {
                self.end_row();
                self.tables = self.tables.saturating_sub(1);
            }
            ("tr", false) if self.tables <= 1 => {
                self.end_row();
                self.row = Some(Vec::new());
            }
            ("tr", true) if self.tables <= 1 => self.end_row(),
            ("td" | "th", false) if self.tables <= 1 => {
                self.end_cell();
                if self.row.is_none() {
                    self.row = Some(Vec::new());
                }
                self.cell = Some(String::new());
            }
            ("td" | "th", true) if self.tables <= 1 => self.end_cell(),
            _ => {}
        }
    }

    fn end_cell(&mut self) {
        if let Some(c) = self.cell.take() {
            self.row.get_or_insert_with(Vec::new).push(c);
        }
    }

    fn end_row(&mut self) {
        self.end_cell();
        if let Some(r) = self.row.take() {
            self.blocks.push(Block::Row(r));
        }
    }
}

/// Decode character references: numeric ones and the common named ones
/// (others stay as written).
pub fn entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest[1..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '#')).map(|j| j + 1).unwrap_or(rest.len());
        let name = &rest[1..end];
        let decoded = if let Some(num) = name.strip_prefix('#') {
            let n = match num.strip_prefix(['x', 'X']) {
                Some(h) => u32::from_str_radix(h, 16).ok(),
                None => num.parse().ok(),
            };
            n.map(|n| char::from_u32(n).filter(|c| *c != '\0').unwrap_or('\u{FFFD}'))
        } else {
            named(name)
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end..];
                if rest.starts_with(';') {
                    rest = &rest[1..];
                }
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn named(name: &str) -> Option<char> {
    Some(match name {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "nbsp" => '\u{A0}',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "bull" => '•',
        "middot" => '·',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "deg" => '°',
        "plusmn" => '±',
        "times" => '×',
        "divide" => '÷',
        "minus" => '−',
        "le" => '≤',
        "ge" => '≥',
        "ne" => '≠',
        "asymp" => '≈',
        "micro" => 'µ',
        "para" => '¶',
        "sect" => '§',
        "euro" => '€',
        "pound" => '£',
        "yen" => '¥',
        "cent" => '¢',
        "shy" => '\u{AD}',
        "ensp" | "emsp" | "thinsp" => ' ',
        "zwj" | "zwnj" => '\u{200B}',
        "frac12" => '½',
        "frac14" => '¼',
        "frac34" => '¾',
        "sup2" => '²',
        "sup3" => '³',
        "alpha" => 'α',
        "beta" => 'β',
        "gamma" => 'γ',
        "delta" => 'δ',
        "pi" => 'π',
        "mu" => 'μ',
        "sigma" => 'σ',
        "rarr" => '→',
        "larr" => '←',
        "auml" => 'ä',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "Auml" => 'Ä',
        "Ouml" => 'Ö',
        "Uuml" => 'Ü',
        "szlig" => 'ß',
        "eacute" => 'é',
        "egrave" => 'è',
        "ecirc" => 'ê',
        "aacute" => 'á',
        "agrave" => 'à',
        "acirc" => 'â',
        "iacute" => 'í',
        "oacute" => 'ó',
        "uacute" => 'ú',
        "ccedil" => 'ç',
        "ntilde" => 'ñ',
        "Eacute" => 'É',
        "oslash" => 'ø',
        "aring" => 'å',
        "aelig" => 'æ',
        "iquest" => '¿',
        "iexcl" => '¡',
        _ => return None,
    })
}
