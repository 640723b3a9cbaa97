//! The Open Packaging Conventions parts that .pptx and .docx share:
//! relationships (`_rels/*.rels`) that name each part's related parts.

use super::archive::{dir_of, resolve, Archive};
use super::xml::{walk, Node};
use super::{ExtractError, Format};

/// One relationship: its id, its type's last segment (`slide`,
/// `notesSlide`, `officeDocument`) and its target resolved to a part name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rel {
    pub id: String,
    pub kind: String,
    pub target: String,
    pub external: bool,
}

/// The relationships of `part` (`ppt/presentation.xml` →
/// `ppt/_rels/presentation.xml.rels`; `""` for the package's own).
pub fn rels_of(a: &mut Archive<'_>, format: Format, part: &str) -> Result<Vec<Rel>, ExtractError> {
    let dir = dir_of(part);
    let file = part.rsplit('/').next().unwrap_or("");
    let rels_part = if dir.is_empty() { format!("_rels/{file}.rels") } else { format!("{dir}/_rels/{file}.rels") };
    let Some(xml) = a.read(&rels_part)? else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    walk(&xml, format, &rels_part, |n| {
        if let Node::Open(t) = n {
            if t.name == "Relationship" {
                let external = t.attr("TargetMode") == Some("External");
                let target = t.attr("Target").unwrap_or("");
                out.push(Rel {
                    id: t.attr("Id").unwrap_or("").to_string(),
                    kind: t.attr("Type").unwrap_or("").rsplit('/').next().unwrap_or("").to_string(),
                    target: if external { target.to_string() } else { resolve(dir, target) },
                    external,
                });
            }
        }
    })?;
    Ok(out)
}

/// The package's main part (`ppt/presentation.xml`, `word/document.xml`),
/// from `_rels/.rels`, else `fallback`.
pub fn main_part(a: &mut Archive<'_>, format: Format, fallback: &str) -> Result<String, ExtractError> {
    let rels = rels_of(a, format, "")?;
    Ok(rels
        .into_iter()
        .find(|r| r.kind == "officeDocument" && !r.external && a.has(&r.target))
        .map_or_else(|| fallback.to_string(), |r| r.target))
}
