//! Markdown pages (.md): CommonMark with tables, strikethrough, task lists,
//! footnotes and front matter, parsed by pulldown-cmark. Headings, list
//! items at their depth (numbered in ordered lists), table rows and
//! paragraphs are kept; code blocks, images, footnote definitions and front
//! matter are left out. Raw HTML is read as text by [`super::html`]: its
//! tags are dropped, scripts and styles with their contents. Pages by size.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use super::blocks::{Block, Pager};
use super::html;
use super::{ExtractError, Pages};

/// Inline HTML elements whose contents are not text.
const INLINE_SKIP: &[&str] = &["script", "style", "template", "noscript", "iframe", "svg", "math", "textarea", "select", "button", "object"];

pub(crate) fn extract(bytes: &[u8]) -> Result<Pages, ExtractError> {
    let text = html::decode(bytes);
    let mut pager = Pager::new();
    for b in blocks_of(&text) {
        pager.push(b);
    }
    Ok(Pages { pages: pager.finish(), notes: Vec::new() })
}

/// The name of an inline HTML tag and whether it closes (`</b>` → (b, true)).
fn inline_tag(raw: &str) -> Option<(String, bool)> {
    let t = raw.trim().strip_prefix('<')?;
    let (end, t) = match t.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let name: String = t.chars().take_while(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
    (!name.is_empty()).then_some((name, end || raw.trim_end().ends_with("/>")))
}

/// Block structure of a Markdown text.
pub fn blocks_of(md: &str) -> Vec<Block> {
    let opts = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS;
    let mut out: Vec<Block> = Vec::new();
    let mut cur = String::new();
    let mut heading: Option<u8> = None;
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut items: Vec<(u8, Option<u32>)> = Vec::new();
    let mut row: Option<Vec<String>> = None;
    let mut cell: Option<String> = None;
    // Code blocks, images, footnote definitions, front matter: depth of them.
    let mut skip = 0usize;
    // Inline HTML elements whose text is skipped (`<script>` … `</script>`).
    let mut inline_skip: Vec<String> = Vec::new();
    let mut raw = String::new();

    fn flush(out: &mut Vec<Block>, cur: &mut String, heading: Option<u8>, items: &[(u8, Option<u32>)], cell: &mut Option<String>) {
        let text = std::mem::take(cur);
        if text.trim().is_empty() {
            return;
        }
        if let Some(c) = cell.as_mut() {
            c.push(' ');
            c.push_str(&text);
            return;
        }
        out.push(match (heading, items.last()) {
            (Some(l), _) => Block::Heading(l, text),
            (None, Some((level, number))) => Block::Item { level: *level, number: *number, text },
            (None, None) => Block::Para(text),
        });
    }

    for ev in Parser::new_ext(md, opts) {
        if !matches!(ev, Event::Html(_)) && !raw.is_empty() {
            out.extend(html::blocks_of(&std::mem::take(&mut raw)));
        }
        match ev {
            Event::Start(Tag::CodeBlock(_) | Tag::Image { .. } | Tag::FootnoteDefinition(_) | Tag::MetadataBlock(_)) => skip += 1,
            Event::End(TagEnd::CodeBlock | TagEnd::Image | TagEnd::FootnoteDefinition | TagEnd::MetadataBlock(_)) => {
                skip = skip.saturating_sub(1)
            }
            _ if skip > 0 => {}
            Event::Start(Tag::Heading { level, .. }) => {
                flush(&mut out, &mut cur, heading, &items, &mut cell);
                heading = Some(level as u8);
            }
            Event::End(TagEnd::Heading(_)) => {
                flush(&mut out, &mut cur, heading, &items, &mut cell);
                heading = None;
            }
            Event::Start(Tag::List(start)) => {
                flush(&mut out, &mut cur, heading, &items, &mut cell);
                lists.push(start);
            }
            Event::End(TagEnd::List(_)) => {
                flush(&mut out, &mut cur, heading, &items, &mut cell);
                lists.pop();
            }
            Event::Start(Tag::Item) => {
                flush(&mut out, &mut cur, heading, &items, &mut cell);
                let level = lists.len().saturating_sub(1).min(8) as u8;
                let number = match lists.last_mut() {
                    Some(Some(n)) => {
                        *n += 1;
                        u32::try_from(*n - 1).ok()
                    }
                    _ => None,
                };
                items.push((level, number));
            }
            Event::End(TagEnd::Item) => {
                flush(&mut out, &mut cur, heading, &items, &mut cell);
                items.pop();
            }
            Event::Start(Tag::Paragraph | Tag::BlockQuote(_) | Tag::DefinitionList | Tag::DefinitionListTitle | Tag::DefinitionListDefinition)
            | Event::End(TagEnd::Paragraph | TagEnd::BlockQuote(_) | TagEnd::DefinitionList | TagEnd::DefinitionListTitle | TagEnd::DefinitionListDefinition) => {
                flush(&mut out, &mut cur, heading, &items, &mut cell)
            }
            Event::Start(Tag::TableHead | Tag::TableRow) => row = Some(Vec::new()),
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => {
                if let (Some(r), Some(c)) = (row.as_mut(), cell.take()) {
                    r.push(c);
                }
            }
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                if let Some(r) = row.take() {
                    out.push(Block::Row(r));
                }
            }
            Event::Text(t) | Event::Code(t) if inline_skip.is_empty() => {
                match cell.as_mut() {
                    Some(c) => c.push_str(&t),
                    None => cur.push_str(&t),
                }
            }
            Event::SoftBreak | Event::HardBreak => cur.push(' '),
            Event::Html(h) => raw.push_str(&h),
            Event::InlineHtml(h) => {
                if let Some((name, end)) = inline_tag(&h) {
                    if INLINE_SKIP.contains(&name.as_str()) {
                        if !end {
                            inline_skip.push(name);
                        } else if inline_skip.last() == Some(&name) {
                            inline_skip.pop();
                        }
                    } else if name == "br" {
                        cur.push(' ');
                    }
                }
            }
            _ => {}
        }
    }
    if !raw.is_empty() {
        out.extend(html::blocks_of(&raw));
    }
    flush(&mut out, &mut cur, heading, &items, &mut cell);
    out
}
