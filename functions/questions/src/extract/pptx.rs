//! PowerPoint decks (.pptx): one page per slide, in the order the deck
//! shows them (`ppt/presentation.xml`'s slide list). On each slide the
//! title comes first as a heading; text in body placeholders becomes list
//! items at their levels (`a:pPr lvl`), unless the paragraph says it has
//! no bullet; text boxes are paragraphs unless they have bullets; tables
//! become rows; dates, footers and slide numbers are left out. The slide's
//! speaker notes follow as prose. A hidden slide keeps its number and
//! gives an empty page.

use super::archive::Archive;
use super::blocks::{render, Block};
use super::ooxml::{main_part, rels_of};
use super::xml::{walk, Node};
use super::{ExtractError, Format, Pages};

/// Slides beyond this are refused.
pub const MAX_SLIDES: usize = 2000;

const F: Format = Format::Pptx;

pub(crate) fn extract(bytes: &[u8]) -> Result<Pages, ExtractError> {
    let mut a = Archive::open(bytes, F)?;
    let pres = main_part(&mut a, F, "ppt/presentation.xml")?;
    let xml = a.require(&pres)?;
    let mut ids = Vec::new();
    walk(&xml, F, &pres, |n| {
        if let Node::Open(t) = n {
            if t.name == "sldId" {
                // `r:id`, the relationship (beside `id`, a number).
                if let Some(v) = t.attrs.iter().find(|(k, _)| k.ends_with(":id")).map(|(_, v)| v) {
                    ids.push(v.clone());
                }
            }
        }
    })?;
    let rels = rels_of(&mut a, F, &pres)?;
    let mut slides: Vec<String> =
        ids.iter().filter_map(|id| rels.iter().find(|r| &r.id == id && r.kind == "slide")).map(|r| r.target.clone()).collect();
    if slides.is_empty() {
        // No slide list: the slide parts in their numbers' order.
        let mut found: Vec<(u32, String)> = a
            .names()
            .into_iter()
            .filter_map(|n| {
                let num = n.strip_prefix("ppt/slides/slide")?.strip_suffix(".xml")?.parse().ok()?;
                Some((num, n))
            })
            .collect();
        found.sort();
        slides = found.into_iter().map(|(_, n)| n).collect();
    }
    if slides.is_empty() {
        return Err(ExtractError::WrongFormat { format: F, why: "the deck has no slides".into() });
    }
    if slides.len() > MAX_SLIDES {
        return Err(ExtractError::TooLarge { format: F, why: format!("it has {} slides; at most {MAX_SLIDES} are read", slides.len()) });
    }
    let mut pages = Vec::with_capacity(slides.len());
    let mut hidden = Vec::new();
    for (i, part) in slides.iter().enumerate() {
        let xml = a.read(part)?.ok_or_else(|| ExtractError::corrupt(F, format!("slide {} ({part}) is missing", i + 1)))?;
        let slide = shapes(&xml, part, false)?;
        if slide.hidden {
            hidden.push(i + 1);
            pages.push(String::new());
            continue;
        }
        let mut blocks = slide.blocks;
        let notes = rels_of(&mut a, F, part)?.into_iter().find(|r| r.kind == "notesSlide" && !r.external);
        if let Some(n) = notes {
            if let Some(xml) = a.read(&n.target)? {
                blocks.extend(shapes(&xml, &n.target, true)?.blocks);
            }
        }
        pages.push(render(&blocks));
    }
    let mut notes = Vec::new();
    if !hidden.is_empty() {
        notes.push(format!("hidden slide(s) {} left out", list(&hidden)));
    }
    Ok(Pages { pages, notes })
}

pub(crate) fn list(n: &[usize]) -> String {
    n.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")
}

/// A slide's (or a notes page's) text.
struct Slide {
    hidden: bool,
    blocks: Vec<Block>,
}

#[derive(Default)]
struct Para {
    level: u8,
    /// `Some(false)`: `a:buNone`; `Some(true)`: `a:buChar`/`a:buAutoNum`.
    bullet: Option<bool>,
    numbered: Option<u32>,
    text: String,
}

/// Walk the shapes of a slide (or, with `notes`, keep only the notes
/// placeholder's paragraphs, as prose).
fn shapes(xml: &[u8], part: &str, notes: bool) -> Result<Slide, ExtractError> {
    let mut hidden = false;
    let mut title = String::new();
    let mut blocks: Vec<Block> = Vec::new();
    let mut ph: Option<String> = None;
    let mut para: Option<Para> = None;
    let mut in_t = false;
    let mut fallback = 0usize;
    let mut row: Option<Vec<String>> = None;
    let mut cell: Option<String> = None;
    let mut counters = [0u32; 9];
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
                "sld" => hidden = t.attr("show") == Some("0"),
                "Fallback" => fallback = 1,
                "sp" | "graphicFrame" => {
                    ph = None;
                    counters = [0; 9];
                }
                "ph" => ph = Some(t.attr("type").unwrap_or("body").to_string()),
                "p" => para = Some(Para::default()),
                "pPr" => {
                    if let Some(p) = para.as_mut() {
                        p.level = t.attr("lvl").and_then(|l| l.parse().ok()).unwrap_or(0u8).min(8);
                    }
                }
                "buNone" => {
                    if let Some(p) = para.as_mut() {
                        p.bullet = Some(false);
                    }
                }
                "buChar" | "buBlip" => {
                    if let Some(p) = para.as_mut() {
                        p.bullet = Some(true);
                    }
                }
                "buAutoNum" => {
                    if let Some(p) = para.as_mut() {
                        p.bullet = Some(true);
                        p.numbered = Some(t.attr("startAt").and_then(|s| s.parse().ok()).unwrap_or(1));
                    }
                }
                "t" => in_t = true,
                "br" => {
                    if let Some(p) = para.as_mut() {
                        p.text.push(' ');
                    }
                }
                "tr" => row = Some(Vec::new()),
                "tc" => cell = Some(String::new()),
                _ => {}
            },
            Node::Text(s) => {
                if in_t {
                    if let Some(p) = para.as_mut() {
                        p.text.push_str(s);
                    }
                }
            }
            Node::Close(name) => match name {
                "t" => in_t = false,
                "p" => {
                    let Some(p) = para.take() else { return };
                    if p.text.trim().is_empty() {
                        return;
                    }
                    if let Some(c) = cell.as_mut() {
                        c.push(' ');
                        c.push_str(&p.text);
                        return;
                    }
                    let kind = ph.as_deref();
                    if notes {
                        if kind == Some("body") {
                            blocks.push(Block::Para(p.text));
                        }
                        return;
                    }
                    match kind {
                        Some("title" | "ctrTitle") => {
                            title.push(' ');
                            title.push_str(&p.text);
                        }
                        Some("dt" | "ftr" | "sldNum" | "hdr" | "sldImg") => {}
                        Some("subTitle") => blocks.push(Block::Para(p.text)),
                        Some(_) if p.bullet != Some(false) => blocks.push(item(p, &mut counters)),
                        None if p.bullet == Some(true) => blocks.push(item(p, &mut counters)),
                        _ => blocks.push(Block::Para(p.text)),
                    }
                }
                "tc" => {
                    if let (Some(r), Some(c)) = (row.as_mut(), cell.take()) {
                        r.push(c);
                    }
                }
                "tr" => {
                    if let Some(r) = row.take() {
                        if !notes {
                            blocks.push(Block::Row(r));
                        }
                    }
                }
                _ => {}
            },
        }
    })?;
    if !title.trim().is_empty() {
        blocks.insert(0, Block::Heading(1, title));
    }
    Ok(Slide { hidden, blocks })
}

fn item(p: Para, counters: &mut [u32; 9]) -> Block {
    let l = usize::from(p.level);
    for c in counters.iter_mut().skip(l + 1) {
        *c = 0;
    }
    let number = p.numbered.map(|start| {
        counters[l] = if counters[l] == 0 { start } else { counters[l] + 1 };
        counters[l]
    });
    if number.is_none() {
        counters[l] = 0;
    }
    Block::Item { level: p.level, number, text: p.text }
}
