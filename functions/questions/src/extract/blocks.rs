//! The structure every reader finds (headings, paragraphs, list items, table
//! rows, page breaks) written out as page text in the shape the analysis
//! reads from PDFs: one block per line; a heading on its own line; a list
//! item with its marker, indented by level; a table row as its cells joined
//! by tabs (the analysis files such a line as a table, never prose).

/// A document without page breaks is cut into pages of about this many words.
pub const PAGE_WORDS: usize = 400;

/// One block of a lecture's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A heading (level 1 is the top; a slide title is level 1).
    Heading(u8, String),
    /// A paragraph of prose (speaker notes too).
    Para(String),
    /// A list item: level (0 at the top), its number when the list is
    /// numbered, its text.
    Item { level: u8, number: Option<u32>, text: String },
    /// A table row: its cells.
    Row(Vec<String>),
}

/// Spaces collapsed, control characters dropped, ends trimmed.
pub fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        let c = match c {
            '\u{00A0}' | '\u{2007}' | '\u{202F}' | '\t' | '\n' | '\r' | '\u{000B}' => ' ',
            '\u{00AD}' | '\u{200B}' | '\u{FEFF}' => continue,
            c if c.is_control() => continue,
            c => c,
        };
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    out
}

impl Block {
    /// The block as one line of page text; `None` when it has no text.
    pub fn line(&self) -> Option<String> {
        match self {
            Block::Heading(_, t) | Block::Para(t) => Some(tidy(t)).filter(|t| !t.is_empty()),
            Block::Item { level, number, text } => {
                let t = tidy(text);
                if t.is_empty() {
                    return None;
                }
                let indent = "  ".repeat(usize::from(*level).min(8));
                Some(match number {
                    Some(n) => format!("{indent}{n}. {t}"),
                    None => format!("{indent}{} {t}", ["•", "◦", "▪"][usize::from(*level).min(2)]),
                })
            }
            Block::Row(cells) => {
                let cells: Vec<String> = cells.iter().map(|c| tidy(c)).collect();
                if cells.iter().all(String::is_empty) {
                    return None;
                }
                // One cell is no table: it is the text it holds.
                let filled: Vec<&String> = cells.iter().filter(|c| !c.is_empty()).collect();
                if filled.len() == 1 {
                    return Some(filled[0].clone());
                }
                Some(cells.join("\t"))
            }
        }
    }

    fn words(&self) -> usize {
        match self {
            Block::Heading(_, t) | Block::Para(t) | Block::Item { text: t, .. } => t.split_whitespace().count(),
            Block::Row(c) => c.iter().map(|c| c.split_whitespace().count()).sum(),
        }
    }
}

/// Pages made from blocks: at explicit page breaks (the document's own)
/// or, when the document has none, every [`PAGE_WORDS`] words or so, at a
/// block boundary (a section's heading when one is near).
#[derive(Debug, Default)]
pub struct Pager {
    pages: Vec<Vec<Block>>,
    cur: Vec<Block>,
    breaks: usize,
}

impl Pager {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn push(&mut self, b: Block) {
        if b.line().is_some() {
            self.cur.push(b);
        }
    }
    /// The document's own page break (a no-op at the top of a page).
    pub fn page_break(&mut self) {
        if !self.cur.is_empty() {
            self.pages.push(std::mem::take(&mut self.cur));
            self.breaks += 1;
        }
    }
    /// Whether the page being filled has any block yet.
    pub fn page_is_empty(&self) -> bool {
        self.cur.is_empty()
    }
    /// The pages: by the document's breaks when it had any, else by size.
    pub fn finish(mut self) -> Vec<String> {
        if !self.cur.is_empty() {
            self.pages.push(std::mem::take(&mut self.cur));
        }
        if self.breaks == 0 {
            let all: Vec<Block> = self.pages.into_iter().flatten().collect();
            self.pages = by_size(all);
        }
        self.pages.iter().map(|p| render(p)).collect()
    }
}

/// One page of text from its blocks.
pub fn render(blocks: &[Block]) -> String {
    blocks.iter().filter_map(Block::line).collect::<Vec<_>>().join("\n")
}

fn by_size(blocks: Vec<Block>) -> Vec<Vec<Block>> {
    let mut pages = Vec::new();
    let mut cur: Vec<Block> = Vec::new();
    let mut words = 0usize;
    for b in blocks {
        let w = b.words();
        let section = matches!(b, Block::Heading(l, _) if l <= 2);
        let full = words >= PAGE_WORDS || (words + w > PAGE_WORDS * 5 / 4 && words >= PAGE_WORDS / 2);
        let early = section && words >= PAGE_WORDS * 5 / 8;
        // A heading stays with what follows it.
        let last_is_heading = matches!(cur.last(), Some(Block::Heading(..)));
        if !cur.is_empty() && (full || early) && !last_is_heading {
            pages.push(std::mem::take(&mut cur));
            words = 0;
        }
        words += w;
        cur.push(b);
    }
    if !cur.is_empty() || pages.is_empty() {
        pages.push(cur);
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_carry_their_structure() {
        assert_eq!(Block::Heading(1, " Cell  biology ".into()).line().unwrap(), "Cell biology");
        assert_eq!(Block::Item { level: 0, number: None, text: "Nucleus".into() }.line().unwrap(), "• Nucleus");
        assert_eq!(Block::Item { level: 1, number: None, text: "DNA".into() }.line().unwrap(), "  ◦ DNA");
        assert_eq!(Block::Item { level: 3, number: Some(2), text: "Copy".into() }.line().unwrap(), "      2. Copy");
        assert_eq!(Block::Row(vec!["Organelle".into(), "Role".into()]).line().unwrap(), "Organelle\tRole");
        assert_eq!(Block::Row(vec!["".into(), "Only this".into()]).line().unwrap(), "Only this");
        assert_eq!(Block::Para(" \u{00A0} ".into()).line(), None);
    }

    #[test]
    fn pages_by_breaks_or_by_size() {
        let mut p = Pager::new();
        p.push(Block::Para("One.".into()));
        p.page_break();
        p.page_break();
        p.push(Block::Para("Two.".into()));
        assert_eq!(p.finish(), vec!["One.", "Two."]);

        let mut p = Pager::new();
        let para = "word ".repeat(100);
        for i in 0..12 {
            if i % 4 == 0 {
                p.push(Block::Heading(1, format!("Section {i}")));
            }
            p.push(Block::Para(para.clone()));
        }
        let pages = p.finish();
        assert!(pages.len() >= 3 && pages.len() <= 4, "{}", pages.len());
        for page in &pages {
            let w = page.split_whitespace().count();
            assert!((200..=600).contains(&w), "{w}");
            assert!(!page.ends_with(|c: char| c.is_ascii_digit()), "a heading is never last: {page:?}");
        }
    }
}
