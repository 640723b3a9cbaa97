//! Word documents (.docx): `word/document.xml` read paragraph by paragraph.
//! Headings come from the paragraph's style (`heading 1`…`heading 9`,
//! `Title`, a style based on one, or an outline level), list items from
//! numbering (bullets, or numbers where `word/numbering.xml` says the level
//! is numbered), tables row by row; text boxes are read, deleted text, field
//! codes and the duplicate fallback copies of drawings are not. Pages: at
//! Word's own page breaks (those it rendered, `w:lastRenderedPageBreak`, and
//! the manual ones), else by size.

use std::collections::HashMap;

use super::archive::Archive;
use super::blocks::{Block, Pager};
use super::ooxml::{main_part, rels_of};
use super::xml::{walk, Node};
use super::{ExtractError, Format, Pages};

const F: Format = Format::Docx;

/// What a paragraph style makes of its paragraphs.
#[derive(Debug, Clone, Default)]
struct Style {
    heading: Option<u8>,
    /// A numbered or bulleted style (`List Bullet`): `(numId, level)`.
    num: Option<(String, u8)>,
    based_on: Option<String>,
}

/// How one list level is numbered: `None` for bullets, else its first number.
type Levels = HashMap<(String, u8), Option<u32>>;

pub(crate) fn extract(bytes: &[u8]) -> Result<Pages, ExtractError> {
    let mut a = Archive::open(bytes, F)?;
    let main = main_part(&mut a, F, "word/document.xml")?;
    let xml = a.require(&main)?;
    let rels = rels_of(&mut a, F, &main)?;
    let part = |kind: &str, default: &str| {
        rels.iter().find(|r| r.kind == kind && !r.external).map_or_else(|| default.to_string(), |r| r.target.clone())
    };
    let styles = match a.read(&part("styles", "word/styles.xml"))? {
        Some(x) => read_styles(&x)?,
        None => HashMap::new(),
    };
    let levels = match a.read(&part("numbering", "word/numbering.xml"))? {
        Some(x) => read_numbering(&x)?,
        None => HashMap::new(),
    };
    body(&xml, &main, &styles, &levels)
}

fn style_heading(styles: &HashMap<String, Style>, id: &str) -> (Option<u8>, Option<(String, u8)>) {
    let mut cur = Some(id.to_string());
    let (mut heading, mut num) = (None, None);
    for _ in 0..16 {
        let Some(s) = cur.as_ref().and_then(|c| styles.get(c)) else { break };
        heading = heading.or(s.heading);
        num = num.or_else(|| s.num.clone());
        cur = s.based_on.clone();
    }
    (heading, num)
}

fn read_styles(xml: &[u8]) -> Result<HashMap<String, Style>, ExtractError> {
    let mut out = HashMap::new();
    let mut cur: Option<(String, Style)> = None;
    let mut num_id: Option<String> = None;
    let mut ilvl: u8 = 0;
    walk(xml, F, "word/styles.xml", |n| match n {
        Node::Open(t) => match t.name.as_str() {
            "style" if t.attr("type") == Some("paragraph") => {
                cur = t.attr("styleId").map(|id| (id.to_string(), Style::default()));
                num_id = None;
            }
            "name" => {
                if let Some((_, s)) = cur.as_mut() {
                    let name = t.attr("val").unwrap_or("").to_ascii_lowercase();
                    if let Some(l) = name.strip_prefix("heading ").and_then(|l| l.trim().parse::<u8>().ok()) {
                        s.heading = Some(l.clamp(1, 9));
                    } else if name == "title" {
                        s.heading = Some(1);
                    }
                }
            }
            "basedOn" => {
                if let Some((_, s)) = cur.as_mut() {
                    s.based_on = t.attr("val").map(str::to_string);
                }
            }
            "outlineLvl" => {
                if let Some((_, s)) = cur.as_mut() {
                    if let Some(l) = t.attr("val").and_then(|v| v.parse::<u8>().ok()).filter(|l| *l < 9) {
                        s.heading = s.heading.or(Some(l + 1));
                    }
                }
            }
            "numId" => num_id = t.attr("val").map(str::to_string),
            "ilvl" => ilvl = t.attr("val").and_then(|v| v.parse().ok()).unwrap_or(0u8).min(8),
            _ => {}
        },
        Node::Close("numPr") => {
            if let (Some((_, s)), Some(id)) = (cur.as_mut(), num_id.take()) {
                if id != "0" {
                    s.num = Some((id, ilvl));
                }
            }
            ilvl = 0;
        }
        Node::Close("style") => {
            if let Some((id, s)) = cur.take() {
                out.insert(id, s);
            }
        }
        _ => {}
    })?;
    Ok(out)
}

fn read_numbering(xml: &[u8]) -> Result<Levels, ExtractError> {
    // abstractNumId → level → numbered (first number) or bullets.
    let mut abs: HashMap<String, HashMap<u8, Option<u32>>> = HashMap::new();
    let mut nums: Vec<(String, String)> = Vec::new();
    let (mut cur_abs, mut cur_lvl, mut cur_num) = (None::<String>, None::<u8>, None::<String>);
    let mut start = 1u32;
    walk(xml, F, "word/numbering.xml", |n| match n {
        Node::Open(t) => match t.name.as_str() {
            "abstractNum" => cur_abs = t.attr("abstractNumId").map(str::to_string),
            "lvl" => {
                cur_lvl = t.attr("ilvl").and_then(|v| v.parse().ok());
                start = 1;
            }
            "start" => start = t.attr("val").and_then(|v| v.parse().ok()).unwrap_or(1),
            "numFmt" => {
                if let (Some(a), Some(l)) = (cur_abs.as_ref(), cur_lvl) {
                    let numbered = !matches!(t.attr("val"), Some("bullet" | "none") | None);
                    abs.entry(a.clone()).or_default().insert(l, numbered.then_some(start));
                }
            }
            "num" => cur_num = t.attr("numId").map(str::to_string),
            "abstractNumId" => {
                if let (Some(n), Some(v)) = (cur_num.as_ref(), t.attr("val")) {
                    nums.push((n.clone(), v.to_string()));
                }
            }
            _ => {}
        },
        Node::Close("abstractNum") => cur_abs = None,
        Node::Close("num") => cur_num = None,
        _ => {}
    })?;
    let mut out = Levels::new();
    for (num, a) in nums {
        if let Some(levels) = abs.get(&a) {
            for (l, v) in levels {
                out.insert((num.clone(), *l), *v);
            }
        }
    }
    Ok(out)
}

#[derive(Default)]
struct Para {
    style: Option<String>,
    outline: Option<u8>,
    num: Option<(String, u8)>,
    num_id: Option<String>,
    ilvl: u8,
    break_before: bool,
    break_after: bool,
    text: String,
}

fn body(xml: &[u8], part: &str, styles: &HashMap<String, Style>, levels: &Levels) -> Result<Pages, ExtractError> {
    let mut pager = Pager::new();
    let mut stack: Vec<Para> = Vec::new();
    let mut in_t = false;
    let mut fallback = 0usize;
    let mut tables = 0usize;
    let mut row: Option<Vec<String>> = None;
    let mut cell: Option<String> = None;
    let mut table_break = false;
    let mut counters: HashMap<(String, u8), u32> = HashMap::new();
    walk(xml, F, part, |n| {
        if fallback > 0 {
            match n {
                Node::Open(t) if t.name == "Fallback" => fallback += 1,
                Node::Close("Fallback") => fallback -= 1,
                _ => {}
            }
            return;
        }
        match n {
            Node::Open(t) => match t.name.as_str() {
                "Fallback" => fallback = 1,
                "p" => stack.push(Para::default()),
                "pStyle" => {
                    if let Some(p) = stack.last_mut() {
                        p.style = t.attr("val").map(str::to_string);
                    }
                }
                "outlineLvl" => {
                    if let Some(p) = stack.last_mut() {
                        p.outline = t.attr("val").and_then(|v| v.parse::<u8>().ok()).filter(|l| *l < 9);
                    }
                }
                "numId" => {
                    if let Some(p) = stack.last_mut() {
                        p.num_id = t.attr("val").map(str::to_string);
                    }
                }
                "ilvl" => {
                    if let Some(p) = stack.last_mut() {
                        p.ilvl = t.attr("val").and_then(|v| v.parse().ok()).unwrap_or(0u8).min(8);
                    }
                }
                "pageBreakBefore" if !matches!(t.attr("val"), Some("0" | "false" | "off")) => {
                    if let Some(p) = stack.last_mut() {
                        p.break_before = true;
                    }
                }
                "lastRenderedPageBreak" => mark_break(&mut stack, tables, &mut table_break),
                "br" if t.attr("type") == Some("page") => mark_break(&mut stack, tables, &mut table_break),
                "t" => in_t = true,
                "tab" | "br" | "cr" => {
                    if let Some(p) = stack.last_mut() {
                        p.text.push(' ');
                    }
                }
                "noBreakHyphen" => {
                    if let Some(p) = stack.last_mut() {
                        p.text.push('-');
                    }
                }
                "tbl" => tables += 1,
                "tr" if tables == 1 => row = Some(Vec::new()),
                "tc" if tables == 1 => cell = Some(String::new()),
                _ => {}
            },
            Node::Text(s) => {
                if in_t {
                    if let Some(p) = stack.last_mut() {
                        p.text.push_str(s);
                    }
                }
            }
            Node::Close(name) => match name {
                "t" => in_t = false,
                "numPr" => {
                    // `numId 0` takes a style's numbering away (kept as "0").
                    if let Some(p) = stack.last_mut() {
                        p.num = p.num_id.clone().map(|id| (id, p.ilvl));
                    }
                }
                "p" => {
                    let Some(p) = stack.pop() else { return };
                    if let Some(c) = cell.as_mut() {
                        c.push(' ');
                        c.push_str(&p.text);
                        return;
                    }
                    if p.break_before {
                        pager.page_break();
                    }
                    let (style_heading, style_num) = p.style.as_deref().map(|s| style_heading(styles, s)).unwrap_or((None, None));
                    let heading = p.outline.map(|l| l + 1).or(style_heading);
                    let num = p.num.clone().or(style_num).filter(|(id, _)| id != "0");
                    if let Some(l) = heading {
                        pager.push(Block::Heading(l, p.text));
                    } else if let Some((id, level)) = num {
                        let number = match levels.get(&(id.clone(), level)) {
                            Some(Some(start)) => {
                                let c = counters.entry((id.clone(), level)).or_insert(start.saturating_sub(1));
                                *c += 1;
                                Some(*c)
                            }
                            _ => None,
                        };
                        counters.retain(|(i, l), _| i != &id || *l <= level);
                        pager.push(Block::Item { level, number, text: p.text });
                    } else {
                        pager.push(Block::Para(p.text));
                    }
                    if p.break_after {
                        pager.page_break();
                    }
                }
                "tc" if tables == 1 => {
                    if let (Some(r), Some(c)) = (row.as_mut(), cell.take()) {
                        r.push(c);
                    }
                }
                "tr" if tables == 1 => {
                    if let Some(r) = row.take() {
                        pager.push(Block::Row(r));
                    }
                    if std::mem::take(&mut table_break) {
                        pager.page_break();
                    }
                }
                "tbl" => tables = tables.saturating_sub(1),
                _ => {}
            },
        }
    })?;
    Ok(Pages { pages: pager.finish(), notes: Vec::new() })
}

/// A page break inside a paragraph: before it when no text came yet, else
/// after it; inside a table, after the row.
fn mark_break(stack: &mut [Para], tables: usize, table_break: &mut bool) {
    if tables > 0 {
        *table_break = true;
        return;
    }
    if let Some(p) = stack.last_mut() {
        if p.text.trim().is_empty() {
            p.break_before = true;
        } else {
            p.break_after = true;
        }
    }
}
