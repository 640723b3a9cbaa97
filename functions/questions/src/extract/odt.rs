//! Writer documents (.odt): the text elements of [`super::odf`] in order,
//! paged at the document's page breaks (the ones LibreOffice laid out,
//! `text:soft-page-break`, and paragraphs whose style breaks before), else
//! by size.

use super::blocks::Pager;
use super::odf::{self, Out};
use super::{ExtractError, Format, Pages};

pub(crate) fn extract(bytes: &[u8]) -> Result<Pages, ExtractError> {
    let pkg = odf::open(bytes, Format::Odt)?;
    let mut pager = Pager::new();
    for o in odf::read(&pkg, Format::Odt)? {
        match o {
            Out::Block(b) => pager.push(b),
            Out::PageBreak => pager.page_break(),
            Out::Title(t) | Out::Note(t) => pager.push(super::blocks::Block::Para(t)),
            Out::Slide { .. } | Out::SlideEnd => {}
        }
    }
    Ok(Pages { pages: pager.finish(), notes: Vec::new() })
}
