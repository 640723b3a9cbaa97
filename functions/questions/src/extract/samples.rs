//! Small lectures written in each format with the format's own structure
//! (the parts, elements and attributes PowerPoint, Word and LibreOffice
//! write), for tests and the benchmark — as [`super::pdf::write_text_pdf`]
//! is for PDFs. Not complete office files (no masters, themes or fonts):
//! what the readers read is there.

use std::io::Write;

/// One slide of a deck.
#[derive(Debug, Clone, Default)]
pub struct Slide {
    pub title: String,
    /// `(level, text)`; level 0 is the top.
    pub bullets: Vec<(u8, String)>,
    /// A table: its rows of cells.
    pub table: Vec<Vec<String>>,
    /// Speaker notes, one paragraph each.
    pub notes: Vec<String>,
    pub hidden: bool,
}

/// One block of a document.
#[derive(Debug, Clone)]
pub enum Part {
    Heading(u8, String),
    Para(String),
    /// A bulleted item at a level.
    Item(u8, String),
    /// A numbered item at a level.
    Numbered(u8, String),
    Row(Vec<String>),
    PageBreak,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A zip of `(name, bytes)`, deflated (`mimetype` first and stored, as
/// OpenDocument wants).
pub fn zip_parts(parts: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in parts {
        let method = if name == "mimetype" { zip::CompressionMethod::Stored } else { zip::CompressionMethod::Deflated };
        let opts = zip::write::SimpleFileOptions::default().compression_method(method);
        w.start_file(name.as_str(), opts).expect("zip entry");
        w.write_all(data).expect("zip write");
    }
    w.finish().expect("zip").into_inner()
}

const PML: &str = r#"xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main""#;
const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

fn rels(entries: &[(String, &str, String)]) -> Vec<u8> {
    let mut s = String::from(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#);
    for (id, kind, target) in entries {
        s.push_str(&format!(r#"<Relationship Id="{id}" Type="{REL}/{kind}" Target="{target}"/>"#));
    }
    s.push_str("</Relationships>");
    s.into_bytes()
}

fn a_para(text: &str, ppr: &str) -> String {
    format!(r#"<a:p>{ppr}<a:r><a:rPr lang="en-GB" dirty="0"/><a:t>{}</a:t></a:r></a:p>"#, esc(text))
}

fn sp(id: usize, name: &str, ph: &str, paras: &str) -> String {
    format!(
        r#"<p:sp><p:nvSpPr><p:cNvPr id="{id}" name="{name}"/><p:cNvSpPr><a:spLocks noGrp="1"/></p:cNvSpPr><p:nvPr>{ph}</p:nvPr></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/><a:lstStyle/>{paras}</p:txBody></p:sp>"#
    )
}

/// A PowerPoint deck of `slides`.
pub fn pptx(slides: &[Slide]) -> Vec<u8> {
    let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
    let mut types = String::from(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/>"#);
    let mut ids = String::new();
    let mut pres_rels = Vec::new();
    for (i, s) in slides.iter().enumerate() {
        let n = i + 1;
        types.push_str(&format!(r#"<Override PartName="/ppt/slides/slide{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.slide+xml"/>"#));
        ids.push_str(&format!(r#"<p:sldId id="{}" r:id="rId{}"/>"#, 255 + n, n + 1));
        pres_rels.push((format!("rId{}", n + 1), "slide", format!("slides/slide{n}.xml")));
        let mut tree = sp(2, "Title 1", r#"<p:ph type="title"/>"#, &a_para(&s.title, ""));
        let body: String = s.bullets.iter().map(|(l, t)| a_para(t, &if *l > 0 { format!(r#"<a:pPr lvl="{l}"/>"#) } else { String::new() })).collect();
        if !body.is_empty() {
            tree.push_str(&sp(3, "Content Placeholder 2", r#"<p:ph idx="1"/>"#, &body));
        }
        if !s.table.is_empty() {
            let rows: String = s
                .table
                .iter()
                .map(|r| format!(r#"<a:tr h="370840">{}</a:tr>"#, r.iter().map(|c| format!("<a:tc><a:txBody><a:bodyPr/><a:lstStyle/>{}</a:txBody><a:tcPr/></a:tc>", a_para(c, ""))).collect::<String>()))
                .collect();
            tree.push_str(&format!(
                r#"<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="4" name="Table 3"/><p:cNvGraphicFramePr><a:graphicFrameLocks noGrp="1"/></p:cNvGraphicFramePr><p:nvPr/></p:nvGraphicFramePr><p:xfrm><a:off x="0" y="0"/><a:ext cx="8128000" cy="741680"/></p:xfrm><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/table"><a:tbl><a:tblPr firstRow="1" bandRow="1"/><a:tblGrid/>{rows}</a:tbl></a:graphicData></a:graphic></p:graphicFrame>"#
            ));
        }
        tree.push_str(&sp(5, "Slide Number Placeholder 4", r#"<p:ph type="sldNum" sz="quarter" idx="12"/>"#, &format!(r#"<a:p><a:fld id="{{B6F15528}}" type="slidenum"><a:t>{n}</a:t></a:fld></a:p>"#)));
        let show = if s.hidden { r#" show="0""# } else { "" };
        let xml = format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><p:sld {PML}{show}><p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/>{tree}</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sld>"#
        );
        parts.push((format!("ppt/slides/slide{n}.xml"), xml.into_bytes()));
        if !s.notes.is_empty() {
            types.push_str(&format!(r#"<Override PartName="/ppt/notesSlides/notesSlide{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.notesSlide+xml"/>"#));
            parts.push((format!("ppt/slides/_rels/slide{n}.xml.rels"), rels(&[("rId2".into(), "notesSlide", format!("../notesSlides/notesSlide{n}.xml"))])));
            let paras: String = s.notes.iter().map(|t| a_para(t, "")).collect();
            let tree = sp(2, "Slide Image Placeholder 1", r#"<p:ph type="sldImg"/>"#, "") + &sp(3, "Notes Placeholder 2", r#"<p:ph type="body" idx="1"/>"#, &paras);
            let xml = format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><p:notes {PML}><p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/>{tree}</p:spTree></p:cSld></p:notes>"#
            );
            parts.push((format!("ppt/notesSlides/notesSlide{n}.xml"), xml.into_bytes()));
        }
    }
    types.push_str("</Types>");
    let pres = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><p:presentation {PML} saveSubsetFonts="1"><p:sldIdLst>{ids}</p:sldIdLst><p:sldSz cx="12192000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/></p:presentation>"#
    );
    let mut out = vec![
        ("[Content_Types].xml".to_string(), types.into_bytes()),
        ("_rels/.rels".to_string(), rels(&[("rId1".into(), "officeDocument", "ppt/presentation.xml".into())])),
        ("ppt/presentation.xml".to_string(), pres.into_bytes()),
        ("ppt/_rels/presentation.xml.rels".to_string(), rels(&pres_rels)),
    ];
    out.extend(parts);
    zip_parts(&out)
}

/// A Word document of `parts` (styles `Heading1`…, `ListParagraph` with
/// numbering 1 for bullets and 2 for numbers, page breaks as Word renders them).
pub fn docx(parts: &[Part]) -> Vec<u8> {
    let w = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;
    let run = |t: &str| format!(r#"<w:r><w:t xml:space="preserve">{}</w:t></w:r>"#, esc(t));
    let mut body = String::new();
    let mut brk = false;
    for p in parts {
        let lrpb = if std::mem::take(&mut brk) { "<w:r><w:lastRenderedPageBreak/></w:r>" } else { "" };
        match p {
            Part::Heading(l, t) => body.push_str(&format!(r#"<w:p><w:pPr><w:pStyle w:val="Heading{l}"/></w:pPr>{lrpb}{}</w:p>"#, run(t))),
            Part::Para(t) => body.push_str(&format!("<w:p>{lrpb}{}</w:p>", run(t))),
            Part::Item(l, t) | Part::Numbered(l, t) => {
                let num = if matches!(p, Part::Item(..)) { 1 } else { 2 };
                body.push_str(&format!(
                    r#"<w:p><w:pPr><w:pStyle w:val="ListParagraph"/><w:numPr><w:ilvl w:val="{l}"/><w:numId w:val="{num}"/></w:numPr></w:pPr>{lrpb}{}</w:p>"#,
                    run(t)
                ))
            }
            Part::Row(cells) => {
                let tcs: String = cells.iter().map(|c| format!(r#"<w:tc><w:tcPr><w:tcW w:w="3000" w:type="dxa"/></w:tcPr><w:p>{}</w:p></w:tc>"#, run(c))).collect();
                body.push_str(&format!("<w:tbl><w:tblPr><w:tblStyle w:val=\"TableGrid\"/></w:tblPr><w:tr>{tcs}</w:tr></w:tbl>"));
            }
            Part::PageBreak => {
                body.push_str(r#"<w:p><w:r><w:br w:type="page"/></w:r></w:p>"#);
                brk = true;
            }
        }
    }
    let doc = format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {w}><w:body>{body}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>"#);
    let mut styles = format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles {w}><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>"#);
    for l in 1..=6 {
        styles.push_str(&format!(
            r#"<w:style w:type="paragraph" w:styleId="Heading{l}"><w:name w:val="heading {l}"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:pPr><w:keepNext/><w:outlineLvl w:val="{}"/></w:pPr></w:style>"#,
            l - 1
        ));
    }
    styles.push_str(r#"<w:style w:type="paragraph" w:styleId="ListParagraph"><w:name w:val="List Paragraph"/><w:basedOn w:val="Normal"/></w:style></w:styles>"#);
    let lvls = |fmt: &str| -> String { (0..9).map(|l| format!(r#"<w:lvl w:ilvl="{l}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{}"/></w:lvl>"#, if fmt == "bullet" { "•".to_string() } else { format!("%{}.", l + 1) })).collect() };
    let numbering = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:numbering {w}><w:abstractNum w:abstractNumId="0">{}</w:abstractNum><w:abstractNum w:abstractNumId="1">{}</w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num><w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num></w:numbering>"#,
        lvls("bullet"),
        lvls("decimal")
    );
    zip_parts(&[
        ("[Content_Types].xml".into(), br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#.to_vec()),
        ("_rels/.rels".into(), rels(&[("rId1".into(), "officeDocument", "word/document.xml".into())])),
        ("word/document.xml".into(), doc.into_bytes()),
        ("word/_rels/document.xml.rels".into(), rels(&[("rId1".into(), "styles", "styles.xml".into()), ("rId2".into(), "numbering", "numbering.xml".into())])),
        ("word/styles.xml".into(), styles.into_bytes()),
        ("word/numbering.xml".into(), numbering.into_bytes()),
    ])
}

const ODF_NS: &str = r#"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" office:version="1.3""#;

fn odf_package(mime: &str, styles: &str, body: &str) -> Vec<u8> {
    let content = format!(r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_NS}><office:automatic-styles>{styles}</office:automatic-styles><office:body>{body}</office:body></office:document-content>"#);
    let manifest = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="{mime}"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#
    );
    zip_parts(&[
        ("mimetype".into(), mime.as_bytes().to_vec()),
        ("content.xml".into(), content.into_bytes()),
        ("META-INF/manifest.xml".into(), manifest.into_bytes()),
    ])
}

const ODF_LISTS: &str = r#"<text:list-style style:name="L1"><text:list-level-style-bullet text:level="1" text:bullet-char="●"/><text:list-level-style-bullet text:level="2" text:bullet-char="○"/></text:list-style><text:list-style style:name="L2"><text:list-level-style-number text:level="1" style:num-format="1" style:num-suffix="."/><text:list-level-style-number text:level="2" style:num-format="a" style:num-suffix=")"/></text:list-style>"#;

fn odf_list(level: u8, style: &str, inner: &str) -> String {
    let mut s = inner.to_string();
    for l in (0..=level).rev() {
        let name = if l == 0 { format!(r#" text:style-name="{style}""#) } else { String::new() };
        s = format!("<text:list{name}><text:list-item>{s}</text:list-item></text:list>");
    }
    s
}

fn odf_table(rows: &[Vec<String>]) -> String {
    let body: String = rows
        .iter()
        .map(|r| format!("<table:table-row>{}</table:table-row>", r.iter().map(|c| format!(r#"<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>"#, esc(c))).collect::<String>()))
        .collect();
    format!(r#"<table:table table:name="Table1"><table:table-column table:number-columns-repeated="{}"/>{body}</table:table>"#, rows.first().map_or(1, Vec::len))
}

/// A Writer document of `parts` (page breaks as LibreOffice saves the
/// pages it laid out: `text:soft-page-break`).
pub fn odt(parts: &[Part]) -> Vec<u8> {
    let mut body = String::from("<office:text>");
    for p in parts {
        match p {
            Part::Heading(l, t) => body.push_str(&format!(r#"<text:h text:style-name="Heading_20_{l}" text:outline-level="{l}">{}</text:h>"#, esc(t))),
            Part::Para(t) => body.push_str(&format!(r#"<text:p text:style-name="Text_20_body">{}</text:p>"#, esc(t))),
            Part::Item(l, t) => body.push_str(&odf_list(*l, "L1", &format!("<text:p>{}</text:p>", esc(t)))),
            Part::Numbered(l, t) => body.push_str(&odf_list(*l, "L2", &format!("<text:p>{}</text:p>", esc(t)))),
            Part::Row(cells) => body.push_str(&odf_table(std::slice::from_ref(cells))),
            Part::PageBreak => body.push_str("<text:soft-page-break/>"),
        }
    }
    body.push_str("</office:text>");
    odf_package("application/vnd.oasis.opendocument.text", ODF_LISTS, &body)
}

/// An Impress deck of `slides`.
pub fn odp(slides: &[Slide]) -> Vec<u8> {
    let mut body = String::from("<office:presentation>");
    for (i, s) in slides.iter().enumerate() {
        let style = if s.hidden { "dpHidden" } else { "dp1" };
        body.push_str(&format!(r#"<draw:page draw:name="page{}" draw:style-name="{style}" draw:master-page-name="Default">"#, i + 1));
        body.push_str(&format!(
            r#"<draw:frame presentation:style-name="pr1" presentation:class="title" svg:width="25cm" svg:height="3cm"><draw:text-box><text:p>{}</text:p></draw:text-box></draw:frame>"#,
            esc(&s.title)
        ));
        if !s.bullets.is_empty() {
            let items: String = s.bullets.iter().map(|(l, t)| odf_list(*l, "L1", &format!("<text:p>{}</text:p>", esc(t)))).collect();
            body.push_str(&format!(r#"<draw:frame presentation:style-name="pr2" presentation:class="outline"><draw:text-box>{items}</draw:text-box></draw:frame>"#));
        }
        if !s.table.is_empty() {
            body.push_str(&format!(r#"<draw:frame draw:name="Table 1">{}</draw:frame>"#, odf_table(&s.table)));
        }
        body.push_str(&format!(
            r#"<draw:frame presentation:class="page-number"><draw:text-box><text:p><text:page-number>{}</text:page-number></text:p></draw:text-box></draw:frame>"#,
            i + 1
        ));
        body.push_str(r#"<presentation:notes><draw:page-thumbnail presentation:class="page"/>"#);
        if !s.notes.is_empty() {
            let paras: String = s.notes.iter().map(|t| format!("<text:p>{}</text:p>", esc(t))).collect();
            body.push_str(&format!(r#"<draw:frame presentation:class="notes"><draw:text-box>{paras}</draw:text-box></draw:frame>"#));
        }
        body.push_str("</presentation:notes></draw:page>");
    }
    body.push_str("</office:presentation>");
    let styles = format!(
        r#"<style:style style:name="dp1" style:family="drawing-page"><style:drawing-page-properties presentation:visibility="visible"/></style:style><style:style style:name="dpHidden" style:family="drawing-page"><style:drawing-page-properties presentation:visibility="hidden"/></style:style>{ODF_LISTS}"#
    );
    odf_package("application/vnd.oasis.opendocument.presentation", &styles, &body)
}

/// A Markdown page of `parts` (page breaks are not Markdown's: left out).
pub fn markdown(parts: &[Part]) -> String {
    let mut s = String::new();
    let mut in_table = false;
    for p in parts {
        if in_table && !matches!(p, Part::Row(_)) {
            s.push('\n');
            in_table = false;
        }
        match p {
            Part::Heading(l, t) => s.push_str(&format!("{} {t}\n\n", "#".repeat(usize::from(*l)))),
            Part::Para(t) => s.push_str(&format!("{t}\n\n")),
            Part::Item(l, t) => s.push_str(&format!("{}- {t}\n", "   ".repeat(usize::from(*l)))),
            Part::Numbered(l, t) => s.push_str(&format!("{}1. {t}\n", "   ".repeat(usize::from(*l)))),
            Part::Row(cells) => {
                s.push_str(&format!("| {} |\n", cells.join(" | ")));
                if !in_table {
                    s.push_str(&format!("|{}\n", "---|".repeat(cells.len())));
                    in_table = true;
                }
            }
            Part::PageBreak => s.push('\n'),
        }
    }
    s
}

/// An HTML page of `parts`, with a navigation bar, a script and a style
/// (which the reader leaves out).
pub fn html(title: &str, parts: &[Part]) -> String {
    let mut s = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>body {{ font-family: serif; }}</style><script>document.title = 'never read';</script></head>\n<body><nav><a href=\"/\">Home</a> | <a href=\"/courses\">Courses</a></nav>\n<main>\n",
        esc(title)
    );
    let mut list: Vec<&str> = Vec::new();
    let mut table = false;
    for p in parts {
        let want: Option<(u8, &str)> = match p {
            Part::Item(l, _) => Some((*l, "ul")),
            Part::Numbered(l, _) => Some((*l, "ol")),
            _ => None,
        };
        let depth = want.map_or(0, |(l, _)| usize::from(l) + 1);
        while list.len() > depth {
            s.push_str(&format!("</{}>", list.pop().unwrap_or("ul")));
        }
        if let Some((_, tag)) = want {
            while list.len() < depth {
                s.push_str(&format!("<{tag}>"));
                list.push(tag);
            }
        }
        if table && !matches!(p, Part::Row(_)) {
            s.push_str("</table>\n");
            table = false;
        }
        match p {
            Part::Heading(l, t) => s.push_str(&format!("<h{l}>{}</h{l}>\n", esc(t))),
            Part::Para(t) => s.push_str(&format!("<p>{}</p>\n", esc(t))),
            Part::Item(_, t) | Part::Numbered(_, t) => s.push_str(&format!("<li>{}</li>\n", esc(t))),
            Part::Row(cells) => {
                if !table {
                    s.push_str("<table>\n");
                    table = true;
                }
                s.push_str(&format!("<tr>{}</tr>\n", cells.iter().map(|c| format!("<td>{}</td>", esc(c))).collect::<String>()));
            }
            Part::PageBreak => {}
        }
    }
    while let Some(t) = list.pop() {
        s.push_str(&format!("</{t}>"));
    }
    if table {
        s.push_str("</table>\n");
    }
    s.push_str("</main>\n<footer>© 2026 Example College. All rights reserved.</footer>\n<script>fetch('/track?x=' + document.cookie)</script>\n</body></html>\n");
    s
}

/// Six slides on cells, written for the tests: titles, two-level bullets,
/// a table, speaker notes in lecture prose, a hidden backup slide.
pub fn cell_biology_slides() -> Vec<Slide> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        Slide {
            title: "Cell Biology: Organelles".into(),
            bullets: vec![(0, "Biology 101, week 3".into())],
            notes: s(&["This lecture introduces the organelles of the eukaryotic cell and the work each of them does."]),
            ..Slide::default()
        },
        Slide {
            title: "The Nucleus".into(),
            bullets: vec![
                (0, "The nucleus stores the genetic material of the cell".into()),
                (1, "Chromatin".into()),
                (1, "Nucleolus".into()),
                (0, "The nuclear envelope is a double membrane with pores".into()),
            ],
            notes: s(&[
                "The nucleus is the organelle that holds the chromosomes of a eukaryotic cell.",
                "The nucleolus is the region of the nucleus that makes ribosomes.",
            ]),
            ..Slide::default()
        },
        Slide {
            title: "Mitochondria".into(),
            bullets: vec![(0, "Cellular respiration happens in the mitochondria".into()), (1, "ATP".into())],
            notes: s(&[
                "The mitochondrion is the organelle that releases energy from glucose.",
                "Mitochondria carry their own circular DNA and divide by fission.",
            ]),
            ..Slide::default()
        },
        Slide {
            title: "Organelles at a Glance".into(),
            table: vec![s(&["Organelle", "Function"]), s(&["Ribosome", "Builds proteins"]), s(&["Lysosome", "Digests waste"])],
            notes: s(&["The ribosome is the molecular machine that translates messenger RNA into protein."]),
            ..Slide::default()
        },
        Slide {
            title: "Backup: Exam Answers".into(),
            bullets: vec![(0, "Secret backup slide that students never see".into())],
            hidden: true,
            ..Slide::default()
        },
        Slide {
            title: "Photosynthesis".into(),
            bullets: vec![(0, "Chloroplasts capture the energy of sunlight".into()), (1, "Chlorophyll".into())],
            notes: s(&[
                "The chloroplast is the organelle in which photosynthesis takes place.",
                "Photosynthesis is the process by which plants turn light into sugar.",
                "The Golgi apparatus packages proteins into vesicles for transport.",
            ]),
            ..Slide::default()
        },
    ]
}

/// A two-page handout on the water cycle, written for the tests: headings,
/// prose, bulleted and numbered lists, a table, a page break.
pub fn water_cycle_document() -> Vec<Part> {
    let p = |s: &str| Part::Para(s.into());
    vec![
        Part::Heading(1, "The Water Cycle".into()),
        p("The water cycle is the continuous movement of water between the oceans, the air and the land."),
        p("Evaporation is the change of liquid water into water vapour."),
        p("Condensation is the process that turns water vapour into clouds."),
        Part::Heading(2, "Stages".into()),
        Part::Numbered(0, "Evaporation from the oceans".into()),
        Part::Numbered(0, "Condensation into clouds".into()),
        Part::Numbered(0, "Precipitation as rain or snow".into()),
        Part::Item(1, "Rain".into()),
        Part::Item(1, "Snow".into()),
        Part::PageBreak,
        Part::Heading(2, "Where the Water Is".into()),
        Part::Row(vec!["Reservoir".into(), "Share of water".into()]),
        Part::Row(vec!["Oceans".into(), "97 percent".into()]),
        p("About 71% of the surface of the Earth is covered by water."),
        p("Precipitation returns about 505,000 cubic kilometres of water to the surface each year."),
        p("The Aral Sea lost about 90% of its volume after 1960."),
        p("Transpiration is the release of water vapour from the leaves of plants."),
        p("Groundwater is the water held in the soil and in the pores of rock."),
        p("An aquifer is a layer of rock that holds groundwater and lets it flow."),
    ]
}
