//! A small walk over an XML part (quick-xml underneath): elements by their
//! local names (`a:p` and `text:p` are both `p`; each reader knows which
//! vocabulary it reads), attributes unescaped, text with the five XML
//! entities and character references resolved. No DTD is read and no other
//! entity is expanded (no "billion laughs"); nesting deeper than
//! [`MAX_DEPTH`] and XML that is not well-formed are errors.

use quick_xml::events::Event;

use super::{ExtractError, Format};

/// Deeper nesting than this is refused (no office file comes near).
pub const MAX_DEPTH: usize = 256;

/// An element's start.
#[derive(Debug, Clone, Default)]
pub struct Tag {
    /// Local name (`p` for `<a:p>`).
    pub name: String,
    /// `(name as written, value)`: `r:id`, `val`.
    pub attrs: Vec<(String, String)>,
}

impl Tag {
    /// The value of the first attribute of this local name (`val` finds
    /// `w:val`).
    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k.rsplit(':').next() == Some(local)).map(|(_, v)| v.as_str())
    }
    /// The value of the attribute of exactly this name (`r:id`).
    pub fn attr_q(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// What the walk reports, in document order.
#[derive(Debug)]
pub enum Node<'t> {
    Open(&'t Tag),
    Close(&'t str),
    Text(&'t str),
}

fn local(name: &[u8]) -> String {
    let n = name.rsplit(|b| *b == b':').next().unwrap_or(name);
    String::from_utf8_lossy(n).into_owned()
}

/// Walk `xml` (part `part` of a `format` file), calling `f` for each node.
pub fn walk(xml: &[u8], format: Format, part: &str, mut f: impl FnMut(Node<'_>)) -> Result<(), ExtractError> {
    let utf16: Option<String> = if xml.starts_with(&[0xFF, 0xFE]) || xml.starts_with(&[0xFE, 0xFF]) {
        let le = xml[0] == 0xFF;
        let units: Vec<u16> = xml[2..]
            .chunks_exact(2)
            .map(|c| if le { u16::from_le_bytes([c[0], c[1]]) } else { u16::from_be_bytes([c[0], c[1]]) })
            .collect();
        // The declaration still says UTF-16: quick-xml reads the text as UTF-8.
        Some(String::from_utf16_lossy(&units).replacen("UTF-16", "UTF-8", 1).replacen("utf-16", "utf-8", 1))
    } else {
        None
    };
    let xml: &[u8] = utf16.as_deref().map_or(xml, str::as_bytes);
    let mut reader = quick_xml::Reader::from_reader(xml);
    reader.config_mut().expand_empty_elements = true;
    let bad = |e: &dyn std::fmt::Display| ExtractError::corrupt(format, format!("{part} is not well-formed XML ({e})"));
    let mut depth = 0usize;
    let mut tag = Tag::default();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(ExtractError::corrupt(format, format!("{part} nests elements more than {MAX_DEPTH} deep")));
                }
                tag.name = local(e.name().as_ref());
                tag.attrs.clear();
                for a in e.attributes().with_checks(false).flatten() {
                    let v = a.unescape_value().map(|v| v.into_owned()).unwrap_or_else(|_| String::from_utf8_lossy(&a.value).into_owned());
                    tag.attrs.push((String::from_utf8_lossy(a.key.as_ref()).into_owned(), v));
                }
                f(Node::Open(&tag));
            }
            Ok(Event::End(e)) => {
                depth = depth.saturating_sub(1);
                f(Node::Close(&local(e.name().as_ref())));
            }
            Ok(Event::Text(t)) => {
                let s = t.decode().map_err(|e| bad(&e))?;
                f(Node::Text(&s));
            }
            Ok(Event::CData(t)) => {
                let s = t.decode().map_err(|e| bad(&e))?;
                f(Node::Text(&s));
            }
            Ok(Event::GeneralRef(r)) => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    Ok(None) => match &*r {
                        b"amp" => Some('&'),
                        b"lt" => Some('<'),
                        b"gt" => Some('>'),
                        b"quot" => Some('"'),
                        b"apos" => Some('\''),
                        _ => None,
                    },
                    Err(_) => None,
                };
                if let Some(c) = c {
                    f(Node::Text(c.encode_utf8(&mut [0; 4])));
                }
            }
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(bad(&e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes(xml: &str) -> Result<Vec<String>, ExtractError> {
        let mut out = Vec::new();
        walk(xml.as_bytes(), Format::Docx, "x.xml", |n| {
            out.push(match n {
                Node::Open(t) => format!("<{}{}>", t.name, t.attrs.iter().map(|(k, v)| format!(" {k}={v}")).collect::<String>()),
                Node::Close(n) => format!("</{n}>"),
                Node::Text(t) => t.to_string(),
            })
        })?;
        Ok(out)
    }

    #[test]
    fn local_names_entities_and_empty_elements() {
        let got = nodes(r#"<?xml version="1.0"?><w:p w:val="a&amp;b"><w:t>Cells &amp; tissues &#8211; &#x41;</w:t><w:br/></w:p>"#).unwrap();
        assert_eq!(got.concat(), "<p w:val=a&b><t>Cells & tissues – A</t><br></br></p>");
    }

    #[test]
    fn entities_of_a_dtd_are_not_expanded() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;</l>"#;
        assert_eq!(nodes(bomb).unwrap().concat(), "<l></l>");
    }

    #[test]
    fn broken_and_deep_xml_are_errors() {
        assert!(nodes("<a><b></a>").is_err());
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert!(nodes(&deep).unwrap_err().to_string().contains("deep"));
    }

    #[test]
    fn utf16_parts_are_read() {
        let s = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><t>Zellkern</t>";
        let mut b = vec![0xFF, 0xFE];
        b.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        let mut out = String::new();
        walk(&b, Format::Docx, "x", |n| if let Node::Text(t) = n { out.push_str(t) }).unwrap();
        assert_eq!(out, "Zellkern");
    }
}
