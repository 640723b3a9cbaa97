//! The text of an uploaded lecture, page by page, in every format exam-gen
//! reads: one entry, [`extract`] (and [`extract_with`] for scans, which
//! need OCR), one result, [`Text`].
//!
//! Every reader gives what the analysis expects of a PDF's text: one string
//! per page (a slide is a page; a document is cut into pages at its own page
//! breaks, or into pages of about [`blocks::PAGE_WORDS`] words), with
//! headings on lines of their own, list items with a marker (`•`, `◦`, `▪`
//! by level, indented; `1.` when numbered), table rows as one line of
//! tab-separated cells (the analysis files them as tables, never prose) and
//! prose paragraphs one per line. Speaker notes follow their slide's text as
//! prose.
//!
//! | format | reader | what is kept |
//! | --- | --- | --- |
//! | `.pdf` | [`pdf`] (pdf-extract on lopdf; pages without a text layer by OCR, [`ocr`]) | pages, columns, lists |
//! | `.pptx` | [`pptx`] (zip + quick-xml) | slides in show order, titles, bullet levels, tables, speaker notes |
//! | `.odp` | [`odp`] on [`odf`] | the same for Impress |
//! | `.docx` | [`docx`] | headings (by style and outline level), lists, tables, page breaks |
//! | `.odt` | [`odt`] on [`odf`] | the same for Writer |
//! | `.md` | [`markdown`] (pulldown-cmark) | headings, lists, tables; code, images and raw HTML's scripts left out |
//! | `.html` | [`html`] (a tolerant tokenizer of its own) | headings, lists, tables; scripts, styles, navigation left out, never run |
//!
//! Archives are read under limits ([`archive`]): a zip bomb, an encrypted or
//! corrupt file is an [`ExtractError`] naming it. The caller bounds time and
//! memory (exam-gen runs this in a child process under limits).

pub mod archive;
pub mod blocks;
pub mod docx;
pub mod html;
pub mod markdown;
pub mod ocr;
pub mod odf;
pub mod odp;
pub mod odt;
pub mod ooxml;
pub mod pdf;
pub mod pptx;
pub mod samples;
pub mod xml;

pub use examfn_domain::upload::LectureFormat as Format;

use pdf::PdfError;

/// The text of a lecture.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Text {
    /// One string per page (a slide for decks), in order; lines as the
    /// module documentation says. A page without text is an empty string.
    pub pages: Vec<String>,
    pub format: Format,
    /// 1-based pages whose text was read by OCR.
    #[serde(default)]
    pub ocr_pages: Vec<usize>,
    /// What the reader noticed and the educator may want to know (hidden
    /// slides left out, scanned pages OCR could not reach in time, …).
    #[serde(default)]
    pub notes: Vec<String>,
}

impl Text {
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }
    /// Words over all pages.
    pub fn word_count(&self) -> usize {
        self.pages.iter().map(|p| p.split_whitespace().count()).sum()
    }
    /// `slide` for decks, else `page`.
    pub fn unit(&self) -> &'static str {
        self.format.unit()
    }
}

/// Why a lecture gave no text. The message is shown to educators.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum ExtractError {
    #[error(transparent)]
    Pdf(#[from] PdfError),
    /// The bytes are not of the format the file name says.
    #[error("the file is not a {format}: {why}")]
    WrongFormat { format: Format, why: String },
    #[error("the {format} is protected with a password: save it without protection and upload it again")]
    Encrypted { format: Format },
    #[error("the {format} cannot be read: {why}")]
    Corrupt { format: Format, why: String },
    /// Past a limit of [`archive::Limits`] (a zip bomb, or simply too big).
    #[error("the {format} is too large to read: {why}")]
    TooLarge { format: Format, why: String },
    #[error("the {format} has {pages} {unit}(s) but no text to write questions from")]
    NoText { format: Format, pages: usize, unit: String },
    /// Scanned pages and no way to read them.
    #[error("OCR unavailable: {why}; the PDF's {pages} scanned page(s) have no text layer to read instead")]
    OcrUnavailable { pages: usize, why: String },
    /// OCR ran and failed.
    #[error("OCR failed: {0}")]
    Ocr(String),
}

impl ExtractError {
    pub(crate) fn corrupt(format: Format, why: impl std::fmt::Display) -> Self {
        Self::Corrupt { format, why: why.to_string() }
    }
    pub(crate) fn no_text(format: Format, pages: usize) -> Self {
        Self::NoText { format, pages, unit: format.unit().into() }
    }
}

/// How to read scans: the OCR engine (none: scanned pages are reported as
/// [`ExtractError::OcrUnavailable`]) and the time OCR may take.
#[derive(Clone, Copy, Default)]
pub struct Options<'a> {
    pub ocr: Option<&'a dyn ocr::Ocr>,
    /// OCR starts no page it cannot finish by then (an estimate from the
    /// pages before); `None`: no deadline.
    pub deadline: Option<std::time::Instant>,
}

/// The text of `bytes` read as `format`, without OCR.
pub fn extract(bytes: &[u8], format: Format) -> Result<Text, ExtractError> {
    extract_with(bytes, format, &Options::default())
}

/// The text of `bytes` read as `format`; scanned PDF pages through `opts.ocr`.
pub fn extract_with(bytes: &[u8], format: Format, opts: &Options<'_>) -> Result<Text, ExtractError> {
    let pages = match format {
        Format::Pdf => return ocr::pdf_with_ocr(bytes, opts),
        Format::Pptx => pptx::extract(bytes)?,
        Format::Docx => docx::extract(bytes)?,
        Format::Odp => odp::extract(bytes)?,
        Format::Odt => odt::extract(bytes)?,
        Format::Markdown => markdown::extract(bytes)?,
        Format::Html => html::extract(bytes)?,
    };
    if pages.pages.iter().all(|p| p.trim().is_empty()) {
        return Err(ExtractError::no_text(format, pages.pages.len()));
    }
    Ok(Text { pages: pages.pages, format, ocr_pages: Vec::new(), notes: pages.notes })
}

/// What a reader of one format gives back.
#[derive(Debug, Default)]
pub(crate) struct Pages {
    pub pages: Vec<String>,
    pub notes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pdf_reads_as_before() {
        let pdf = pdf::write_text_pdf(&[vec!["Cells divide by mitosis.".to_string()]]);
        let t = extract(&pdf, Format::Pdf).unwrap();
        assert_eq!(t.pages, pdf::extract(&pdf).unwrap().pages);
        assert_eq!(t.unit(), "page");
        assert_eq!(extract(b"nope", Format::Pdf), Err(ExtractError::Pdf(PdfError::NotPdf)));
    }

    #[test]
    fn errors_name_the_format() {
        let e = extract(b"plain text", Format::Pptx).unwrap_err();
        assert!(e.to_string().contains("PowerPoint deck"), "{e}");
        let e = extract(b"   \n\n", Format::Markdown).unwrap_err();
        assert_eq!(e.to_string(), "the Markdown page has 1 page(s) but no text to write questions from");
    }
}
