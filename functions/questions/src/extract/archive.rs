//! Office and OpenDocument files are zip archives of XML parts. This reads
//! the parts a reader asks for, under limits that a zip bomb (a part that
//! inflates to gigabytes, millions of entries) hits early, and tells an
//! encrypted or legacy file from a corrupt one.
//!
//! Only stored and deflated entries are read (what every office suite
//! writes); a part compressed otherwise, or encrypted inside the zip, is an
//! error naming it. The declared sizes of entries are not trusted: every
//! part is read through a counter.

use std::io::{Cursor, Read};

use super::{ExtractError, Format};

/// How much an archive may hold and give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most entries in the archive.
    pub max_entries: usize,
    /// Most bytes one part may inflate to.
    pub max_part: u64,
    /// Most bytes all the parts read may inflate to together.
    pub max_total: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_entries: 20_000, max_part: 64 << 20, max_total: 256 << 20 }
    }
}

/// An opened archive.
pub struct Archive<'a> {
    zip: zip::ZipArchive<Cursor<&'a [u8]>>,
    format: Format,
    limits: Limits,
    read: u64,
}

/// The OLE2 compound file signature: legacy .doc/.ppt, and Office files
/// encrypted with a password (an `EncryptedPackage` stream inside).
const OLE2: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

impl<'a> Archive<'a> {
    pub fn open(bytes: &'a [u8], format: Format) -> Result<Self, ExtractError> {
        Self::open_with(bytes, format, Limits::default())
    }

    pub fn open_with(bytes: &'a [u8], format: Format, limits: Limits) -> Result<Self, ExtractError> {
        if bytes.starts_with(&OLE2) {
            let marker: Vec<u8> = "EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes).collect();
            if bytes.windows(marker.len()).any(|w| w == marker.as_slice()) {
                return Err(ExtractError::Encrypted { format });
            }
            let ext = if format == Format::Pptx || format == Format::Odp { ".ppt" } else { ".doc" };
            return Err(ExtractError::WrongFormat {
                format,
                why: format!("it is a legacy binary Office file ({ext}): save it as .{} and upload that", format.extension()),
            });
        }
        if !bytes.starts_with(b"PK") {
            return Err(ExtractError::WrongFormat { format, why: "it is not a zip archive".into() });
        }
        let zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| zip_error(format, "the archive", e))?;
        if zip.len() > limits.max_entries {
            return Err(ExtractError::TooLarge {
                format,
                why: format!("the archive holds {} entries; at most {} are read", zip.len(), limits.max_entries),
            });
        }
        Ok(Self { zip, format, limits, read: 0 })
    }

    /// The archive's entry names.
    pub fn names(&self) -> Vec<String> {
        self.zip.file_names().filter_map(Result::ok).map(|n| n.into_owned()).collect()
    }

    /// Whether the archive has a part of that name.
    pub fn has(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.zip.index_for_name(name).or_else(|| {
            // Part names are case-insensitive in Office files.
            let lower = name.to_ascii_lowercase();
            self.zip.file_names().position(|n| n.is_ok_and(|n| n.to_ascii_lowercase() == lower))
        })
    }

    /// A part's bytes, `None` when there is no such part. Past a limit, an
    /// encrypted or unreadable entry: the error naming it.
    pub fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, ExtractError> {
        let Some(i) = self.find(name) else { return Ok(None) };
        let format = self.format;
        let left = self.limits.max_total.saturating_sub(self.read);
        let cap = self.limits.max_part.min(left);
        let entry = self.zip.by_index(i).map_err(|e| zip_error(format, name, e))?;
        let mut out = Vec::with_capacity((entry.size().min(cap).min(16 << 20)) as usize);
        let got = entry.take(cap + 1).read_to_end(&mut out).map_err(|e| {
            if e.kind() == std::io::ErrorKind::OutOfMemory {
                ExtractError::TooLarge { format, why: format!("its part {name} needs more memory than reading may use (a zip bomb?)") }
            } else {
                ExtractError::corrupt(format, format!("{name}: {e}"))
            }
        })?;
        if got as u64 > cap {
            let why = if cap == self.limits.max_part {
                format!("its part {name} inflates past {} MB (a zip bomb?)", self.limits.max_part >> 20)
            } else {
                format!("its parts inflate past {} MB together (a zip bomb?)", self.limits.max_total >> 20)
            };
            return Err(ExtractError::TooLarge { format, why });
        }
        self.read += got as u64;
        Ok(Some(out))
    }

    /// A part that must be there.
    pub fn require(&mut self, name: &str) -> Result<Vec<u8>, ExtractError> {
        let format = self.format;
        self.read(name)?.ok_or_else(|| ExtractError::WrongFormat {
            format,
            why: format!("the archive has no {name} (is it another kind of zip file?)"),
        })
    }
}

fn zip_error(format: Format, what: &str, e: zip::result::ZipError) -> ExtractError {
    use zip::result::ZipError;
    match e {
        ZipError::UnsupportedArchive(m) if m == ZipError::PASSWORD_REQUIRED => ExtractError::Encrypted { format },
        ZipError::InvalidPassword => ExtractError::Encrypted { format },
        ZipError::CompressionMethodNotSupported(m) => {
            ExtractError::corrupt(format, format!("{what} is compressed with method {m}, which office suites do not write"))
        }
        other => ExtractError::corrupt(format, format!("{what}: {other}")),
    }
}

/// The directory of a part (`ppt/slides/slide1.xml` → `ppt/slides`).
pub fn dir_of(part: &str) -> &str {
    part.rfind('/').map_or("", |i| &part[..i])
}

/// A relationship target resolved against the directory of the part that
/// names it (`../notesSlides/n1.xml` from `ppt/slides` →
/// `ppt/notesSlides/n1.xml`); an absolute target (`/ppt/…`) from the root.
pub fn resolve(dir: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') { Vec::new() } else { dir.split('/').filter(|s| !s.is_empty()).collect() };
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    /// A zip of `(name, bytes)` entries, deflated.
    pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn parts_are_read_under_the_limits() {
        let big = vec![b' '; 3 << 20];
        let z = zip_of(&[("a.xml", b"<a/>"), ("big.xml", &big), ("Big2.xml", &big)]);
        assert!(z.len() < 64 << 10, "deflated spaces are small: {}", z.len());
        let limits = Limits { max_entries: 10, max_part: 4 << 20, max_total: 5 << 20 };
        let mut a = Archive::open_with(&z, Format::Docx, limits).unwrap();
        assert_eq!(a.read("a.xml").unwrap().unwrap(), b"<a/>");
        assert!(a.read("missing.xml").unwrap().is_none());
        assert_eq!(a.read("BIG.xml").unwrap().unwrap().len(), 3 << 20);
        match a.read("big2.xml") {
            Err(ExtractError::TooLarge { why, .. }) => assert!(why.contains("together"), "{why}"),
            other => panic!("{other:?}"),
        }
        let tight = Limits { max_entries: 10, max_part: 1 << 20, max_total: 5 << 20 };
        let mut a = Archive::open_with(&z, Format::Docx, tight).unwrap();
        assert!(matches!(a.read("big.xml"), Err(ExtractError::TooLarge { .. })));
        let few = Limits { max_entries: 2, ..Limits::default() };
        assert!(matches!(Archive::open_with(&z, Format::Docx, few), Err(ExtractError::TooLarge { .. })));
    }

    #[test]
    fn legacy_encrypted_and_broken_files_are_told_apart() {
        let mut ole = OLE2.to_vec();
        ole.extend_from_slice(&[0; 64]);
        assert!(matches!(Archive::open(&ole, Format::Pptx), Err(ExtractError::WrongFormat { .. })));
        ole.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
        assert!(matches!(Archive::open(&ole, Format::Docx), Err(ExtractError::Encrypted { .. })));
        assert!(matches!(Archive::open(b"%PDF-1.4", Format::Odt), Err(ExtractError::WrongFormat { .. })));
        let z = zip_of(&[("a.xml", b"<a/>")]);
        assert!(matches!(Archive::open(&z[..z.len() / 2], Format::Odt), Err(ExtractError::Corrupt { .. })));
    }

    #[test]
    fn targets_resolve_like_paths() {
        assert_eq!(resolve("ppt/slides", "../notesSlides/notesSlide1.xml"), "ppt/notesSlides/notesSlide1.xml");
        assert_eq!(resolve("ppt", "slides/slide1.xml"), "ppt/slides/slide1.xml");
        assert_eq!(resolve("ppt/slides", "/ppt/x.xml"), "ppt/x.xml");
        assert_eq!(resolve("", "../../a"), "a");
        assert_eq!(dir_of("ppt/slides/slide1.xml"), "ppt/slides");
    }
}
