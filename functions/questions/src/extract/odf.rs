//! What Writer (.odt) and Impress (.odp) files share: the OpenDocument
//! package (`content.xml`, `styles.xml`, an encrypted package told apart)
//! and its text elements — `text:h` headings at their outline level,
//! `text:p` paragraphs, `text:list` items at their depth (numbered where
//! the list's style numbers that level), `table:table` rows, frames and
//! their presentation classes (title, outline, notes; page numbers, dates
//! and footers left out), page breaks (`text:soft-page-break`, paragraph
//! styles that break before). Footnotes, comments, tracked deletions and
//! generated indexes (tables of contents) are not read.

use std::collections::{HashMap, HashSet};

use super::archive::Archive;
use super::blocks::Block;
use super::xml::{walk, Node};
use super::{ExtractError, Format};

/// The package's parts that matter, checked.
pub struct Package {
    pub content: Vec<u8>,
    pub styles: Styles,
}

/// Open an OpenDocument file of `format`.
pub fn open(bytes: &[u8], format: Format) -> Result<Package, ExtractError> {
    let mut a = Archive::open(bytes, format)?;
    if let Some(m) = a.read("META-INF/manifest.xml")? {
        let mut encrypted = false;
        walk(&m, format, "META-INF/manifest.xml", |n| {
            if let Node::Open(t) = n {
                encrypted |= t.name == "encryption-data";
            }
        })?;
        if encrypted {
            return Err(ExtractError::Encrypted { format });
        }
    }
    if let Some(mime) = a.read("mimetype")? {
        let mime = String::from_utf8_lossy(&mime);
        let want = format.content_type();
        if !mime.trim().is_empty() && !want.starts_with(mime.trim()) && !mime.contains("-template") {
            return Err(ExtractError::WrongFormat { format, why: format!("its package says it is {}", mime.trim()) });
        }
    }
    let content = a.require("content.xml")?;
    let mut styles = Styles::default();
    if let Some(s) = a.read("styles.xml")? {
        styles.read(&s, format, "styles.xml")?;
    }
    styles.read(&content, format, "content.xml")?;
    Ok(Package { content, styles })
}

/// The styles that change how text is read.
#[derive(Debug, Default)]
pub struct Styles {
    /// Paragraph styles that start a new page (`fo:break-before="page"`), by name.
    page_break: HashSet<String>,
    /// Paragraph style → its parent.
    parent: HashMap<String, String>,
    /// `(list style, level from 1)` → numbered (first number) or bullets.
    lists: HashMap<(String, u8), Option<u32>>,
    /// Drawing-page styles of hidden slides.
    hidden: HashSet<String>,
}

impl Styles {
    fn read(&mut self, xml: &[u8], format: Format, part: &str) -> Result<(), ExtractError> {
        let mut style: Option<String> = None;
        let mut list: Option<String> = None;
        walk(xml, format, part, |n| match n {
            Node::Open(t) => match t.name.as_str() {
                "style" => {
                    style = t.attr("name").map(str::to_string);
                    if let (Some(s), Some(p)) = (style.as_ref(), t.attr("parent-style-name")) {
                        self.parent.insert(s.clone(), p.to_string());
                    }
                }
                "paragraph-properties" if t.attr("break-before") == Some("page") => {
                    if let Some(s) = style.as_ref() {
                        self.page_break.insert(s.clone());
                    }
                }
                "drawing-page-properties" if t.attr("visibility") == Some("hidden") => {
                    if let Some(s) = style.as_ref() {
                        self.hidden.insert(s.clone());
                    }
                }
                "list-style" => list = t.attr("name").map(str::to_string),
                "list-level-style-number" | "list-level-style-bullet" | "list-level-style-image" => {
                    if let (Some(l), Some(level)) = (list.as_ref(), t.attr("level").and_then(|v| v.parse().ok())) {
                        let numbered = t.name == "list-level-style-number" && t.attr("num-format").is_some_and(|f| !f.is_empty());
                        let start = t.attr("start-value").and_then(|v| v.parse().ok()).unwrap_or(1);
                        self.lists.insert((l.clone(), level), numbered.then_some(start));
                    }
                }
                _ => {}
            },
            Node::Close("style") => style = None,
            Node::Close("list-style") => list = None,
            _ => {}
        })
    }

    fn breaks_page(&self, style: &str) -> bool {
        let mut cur = style;
        for _ in 0..16 {
            if self.page_break.contains(cur) {
                return true;
            }
            match self.parent.get(cur) {
                Some(p) => cur = p,
                None => return false,
            }
        }
        false
    }

    /// Whether a slide with this drawing-page style is hidden.
    pub fn hidden(&self, style: &str) -> bool {
        self.hidden.contains(style)
    }
}

/// What the text elements give, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    Block(Block),
    /// A title frame's text (decks).
    Title(String),
    /// Speaker notes' paragraph (decks).
    Note(String),
    PageBreak,
    /// A slide starts (decks), hidden or not.
    Slide { hidden: bool },
    SlideEnd,
}

/// Elements whose text is not the lecture's.
const SKIP: &[&str] = &[
    "note", "annotation", "tracked-changes", "table-of-content", "alphabetical-index", "bibliography", "illustration-index",
    "table-index", "object-index", "user-index", "title", "desc", "page-thumbnail", "forms", "event-listeners",
];

#[derive(Default)]
struct Para {
    heading: Option<u8>,
    text: String,
}

/// Read `content.xml` into [`Out`]s.
pub fn read(pkg: &Package, format: Format) -> Result<Vec<Out>, ExtractError> {
    let styles = &pkg.styles;
    let mut out = Vec::new();
    let mut skip = 0usize;
    let mut stack: Vec<Para> = Vec::new();
    // Open lists: (style, numbering counters are per level of that style).
    let mut lists: Vec<Option<String>> = Vec::new();
    let mut counters: HashMap<(String, u8), u32> = HashMap::new();
    let mut items = 0usize;
    let mut classes: Vec<String> = Vec::new();
    let mut notes = 0usize;
    let mut tables = 0usize;
    let mut row: Option<Vec<String>> = None;
    let mut cell: Option<String> = None;
    walk(&pkg.content, format, "content.xml", |n| {
        if skip > 0 {
            match n {
                Node::Open(t) if SKIP.contains(&t.name.as_str()) => skip += 1,
                Node::Close(name) if SKIP.contains(&name) => skip -= 1,
                _ => {}
            }
            return;
        }
        match n {
            Node::Open(t) => {
                let name = t.name.as_str();
                if SKIP.contains(&name) {
                    // (`title` and `desc` are a drawing's `svg:title` and `svg:desc`.)
                    skip = 1;
                    return;
                }
                match name {
                    "page" if format.is_deck() => {
                        let hidden = t.attr("style-name").is_some_and(|s| styles.hidden(s));
                        out.push(Out::Slide { hidden });
                    }
                    "notes" => notes += 1,
                    "frame" | "custom-shape" | "rect" | "ellipse" | "text-box" => {
                        let class = t.attr_q("presentation:class").unwrap_or("").to_string();
                        classes.push(if class.is_empty() { classes.last().cloned().unwrap_or_default() } else { class });
                    }
                    "h" | "p" => {
                        if let Some(style) = t.attr("style-name") {
                            if format == Format::Odt && styles.breaks_page(style) && stack.is_empty() && cell.is_none() {
                                out.push(Out::PageBreak);
                            }
                        }
                        let heading = (name == "h").then(|| t.attr("outline-level").and_then(|v| v.parse::<u8>().ok()).unwrap_or(1).clamp(1, 9));
                        stack.push(Para { heading, text: String::new() });
                    }
                    "list" => {
                        let style = t.attr("style-name").map(str::to_string).or_else(|| lists.last().cloned().flatten());
                        lists.push(style);
                    }
                    "list-item" | "list-header" => items += 1,
                    "s" => {
                        if let Some(p) = stack.last_mut() {
                            let c = t.attr("c").and_then(|c| c.parse::<usize>().ok()).unwrap_or(1).min(8);
                            p.text.push_str(&" ".repeat(c));
                        }
                    }
                    "tab" | "line-break" => {
                        if let Some(p) = stack.last_mut() {
                            p.text.push(' ');
                        }
                    }
                    "soft-page-break" if format == Format::Odt && tables == 0 => out.push(Out::PageBreak),
                    "table" => tables += 1,
                    "table-row" if tables == 1 => row = Some(Vec::new()),
                    "table-cell" if tables == 1 => cell = Some(String::new()),
                    _ => {}
                }
            }
            Node::Text(s) => {
                if let Some(p) = stack.last_mut() {
                    p.text.push_str(s);
                }
            }
            Node::Close(name) => match name {
                "page" if format.is_deck() => out.push(Out::SlideEnd),
                "notes" => notes = notes.saturating_sub(1),
                "frame" | "custom-shape" | "rect" | "ellipse" | "text-box" => {
                    classes.pop();
                }
                "list" => {
                    lists.pop();
                }
                "list-item" | "list-header" => items = items.saturating_sub(1),
                "h" | "p" => {
                    let Some(p) = stack.pop() else { return };
                    if p.text.trim().is_empty() {
                        return;
                    }
                    if let Some(c) = cell.as_mut() {
                        c.push(' ');
                        c.push_str(&p.text);
                        return;
                    }
                    let class = classes.last().map(String::as_str).unwrap_or("");
                    if notes > 0 {
                        if class == "notes" || format == Format::Odp && class.is_empty() {
                            out.push(Out::Note(p.text));
                        }
                        return;
                    }
                    match class {
                        "title" => return out.push(Out::Title(p.text)),
                        "page-number" | "footer" | "date-time" | "header" | "handout" => return,
                        "subtitle" => return out.push(Out::Block(Block::Para(p.text))),
                        _ => {}
                    }
                    if let Some(l) = p.heading {
                        out.push(Out::Block(Block::Heading(l, p.text)));
                    } else if items > 0 && !lists.is_empty() {
                        let level = (lists.len() - 1).min(8) as u8;
                        let style = lists.last().cloned().flatten().unwrap_or_default();
                        let number = match styles.lists.get(&(style.clone(), level + 1)) {
                            Some(Some(start)) => {
                                let c = counters.entry((style.clone(), level)).or_insert(start.saturating_sub(1));
                                *c += 1;
                                Some(*c)
                            }
                            _ => None,
                        };
                        counters.retain(|(s, l), _| s != &style || *l <= level);
                        out.push(Out::Block(Block::Item { level, number, text: p.text }));
                    } else if class == "outline" {
                        out.push(Out::Block(Block::Item { level: 0, number: None, text: p.text }));
                    } else {
                        out.push(Out::Block(Block::Para(p.text)));
                    }
                }
                "table-cell" if tables == 1 => {
                    if let (Some(r), Some(c)) = (row.as_mut(), cell.take()) {
                        r.push(c);
                    }
                }
                "table-row" if tables == 1 => {
                    if let Some(r) = row.take() {
                        if notes == 0 {
                            out.push(Out::Block(Block::Row(r)));
                        }
                    }
                }
                "table" => tables = tables.saturating_sub(1),
                _ => {}
            },
        }
    })?;
    Ok(out)
}
