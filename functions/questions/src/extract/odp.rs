//! Impress decks (.odp): one page per `draw:page`, in order. The title
//! frame comes first as a heading, outline text as list items at their
//! depth, other text frames as paragraphs, tables as rows, the speaker
//! notes (`presentation:notes`) last as prose; page numbers, dates and
//! footers are left out. A hidden slide keeps its number and gives an
//! empty page.

use super::blocks::{render, Block};
use super::odf::{self, Out};
use super::pptx::{list, MAX_SLIDES};
use super::{ExtractError, Format, Pages};

const F: Format = Format::Odp;

pub(crate) fn extract(bytes: &[u8]) -> Result<Pages, ExtractError> {
    let pkg = odf::open(bytes, F)?;
    let mut pages = Vec::new();
    let mut hidden_slides = Vec::new();
    let (mut title, mut blocks, mut hidden) = (String::new(), Vec::<Block>::new(), false);
    for o in odf::read(&pkg, F)? {
        match o {
            Out::Slide { hidden: h } => {
                title.clear();
                blocks.clear();
                hidden = h;
            }
            Out::Title(t) => {
                title.push(' ');
                title.push_str(&t);
            }
            Out::Block(b) => blocks.push(b),
            Out::Note(t) => blocks.push(Block::Para(t)),
            Out::PageBreak => {}
            Out::SlideEnd => {
                if pages.len() >= MAX_SLIDES {
                    return Err(ExtractError::TooLarge { format: F, why: format!("it has more than {MAX_SLIDES} slides") });
                }
                if hidden {
                    hidden_slides.push(pages.len() + 1);
                    pages.push(String::new());
                    continue;
                }
                if !title.trim().is_empty() {
                    blocks.insert(0, Block::Heading(1, std::mem::take(&mut title)));
                }
                pages.push(render(&blocks));
            }
        }
    }
    if pages.is_empty() {
        return Err(ExtractError::WrongFormat { format: F, why: "the deck has no slides".into() });
    }
    let mut notes = Vec::new();
    if !hidden_slides.is_empty() {
        notes.push(format!("hidden slide(s) {} left out", list(&hidden_slides)));
    }
    Ok(Pages { pages, notes })
}
