//! A minimal ZIP writer: stored (uncompressed) entries with their CRC-32, a
//! central directory and the end record (PKWARE APPNOTE 6.3, no ZIP64). Enough
//! for the small packages the LMS exports are; every importer reads stored
//! entries. Timestamps are fixed (1980-01-01 00:00), so the same exam always
//! gives the same bytes.

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as ZIP uses it.
pub fn crc32(data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    };
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc = TABLE[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    crc ^ 0xFFFF_FFFF
}

/// DOS date of 1980-01-01 (the earliest ZIP can say), time 00:00.
const DOS_DATE: u16 = (1 << 5) | 1;
const DOS_TIME: u16 = 0;
/// General purpose flag bit 11: names are UTF-8.
const UTF8_NAMES: u16 = 1 << 11;
/// Version 1.0: stored entries need nothing newer.
const VERSION: u16 = 10;

/// Zip `entries` (name, contents), stored, in the given order. Names use `/`.
/// Panics when an entry or the archive passes the 4 GiB / 65 535-entry limits
/// of non-ZIP64 archives (exports are kilobytes).
pub fn stored(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    assert!(entries.len() < 0xFFFF, "too many zip entries");
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let offset = u32::try_from(out.len()).expect("zip under 4 GiB");
        let size = u32::try_from(data.len()).expect("zip entry under 4 GiB");
        let name_len = u16::try_from(name.len()).expect("zip entry name under 64 KiB");
        let crc = crc32(data);
        // Local file header.
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&UTF8_NAMES.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // method 0: stored
        out.extend_from_slice(&DOS_TIME.to_le_bytes());
        out.extend_from_slice(&DOS_DATE.to_le_bytes());
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes()); // compressed size
        out.extend_from_slice(&size.to_le_bytes()); // uncompressed size
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // extra field length
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        // Central directory header.
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&VERSION.to_le_bytes()); // made by (MS-DOS, 1.0)
        central.extend_from_slice(&VERSION.to_le_bytes()); // needed to extract
        central.extend_from_slice(&UTF8_NAMES.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&DOS_TIME.to_le_bytes());
        central.extend_from_slice(&DOS_DATE.to_le_bytes());
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&name_len.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes()); // extra
        central.extend_from_slice(&0u16.to_le_bytes()); // comment
        central.extend_from_slice(&0u16.to_le_bytes()); // disk number
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = u32::try_from(out.len()).expect("zip under 4 GiB");
    let cd_size = u32::try_from(central.len()).expect("zip under 4 GiB");
    out.extend_from_slice(&central);
    let n = entries.len() as u16;
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // this disk
    out.extend_from_slice(&0u16.to_le_bytes()); // disk with the central directory
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    out
}

/// Read back a stored archive through its central directory, checking every
/// header, size and CRC: what the tests (and a cautious caller) use to know
/// that an archive is whole. Errors name the first thing that is wrong.
pub fn read_stored(zip: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    fn u16_at(b: &[u8], at: usize) -> Result<u16, String> {
        b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]])).ok_or_else(|| format!("truncated at {at}"))
    }
    fn u32_at(b: &[u8], at: usize) -> Result<u32, String> {
        b.get(at..at + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]])).ok_or_else(|| format!("truncated at {at}"))
    }
    if zip.len() < 22 {
        return Err("shorter than an end record".into());
    }
    let eocd = zip.len() - 22;
    if u32_at(zip, eocd)? != 0x0605_4b50 {
        return Err("no end of central directory record at the end".into());
    }
    let count = usize::from(u16_at(zip, eocd + 10)?);
    let cd_size = u32_at(zip, eocd + 12)? as usize;
    let mut at = u32_at(zip, eocd + 16)? as usize;
    if at + cd_size != eocd {
        return Err("central directory does not end at the end record".into());
    }
    let mut entries = Vec::with_capacity(count);
    for i in 0..count {
        if u32_at(zip, at)? != 0x0201_4b50 {
            return Err(format!("central header {i} has a wrong signature"));
        }
        let method = u16_at(zip, at + 10)?;
        let crc = u32_at(zip, at + 16)?;
        let csize = u32_at(zip, at + 20)? as usize;
        let usize_ = u32_at(zip, at + 24)? as usize;
        let name_len = usize::from(u16_at(zip, at + 28)?);
        let extra = usize::from(u16_at(zip, at + 30)?);
        let comment = usize::from(u16_at(zip, at + 32)?);
        let local = u32_at(zip, at + 42)? as usize;
        let name = zip.get(at + 46..at + 46 + name_len).ok_or("truncated name")?;
        let name = String::from_utf8(name.to_vec()).map_err(|_| format!("entry {i}: name is not UTF-8"))?;
        if method != 0 || csize != usize_ {
            return Err(format!("{name}: not a stored entry"));
        }
        if u32_at(zip, local)? != 0x0403_4b50 {
            return Err(format!("{name}: local header has a wrong signature"));
        }
        if u32_at(zip, local + 14)? != crc || u32_at(zip, local + 18)? as usize != csize {
            return Err(format!("{name}: local header disagrees with the central directory"));
        }
        let local_name = usize::from(u16_at(zip, local + 26)?);
        let local_extra = usize::from(u16_at(zip, local + 28)?);
        if zip.get(local + 30..local + 30 + local_name) != Some(name.as_bytes()) {
            return Err(format!("{name}: local header names another file"));
        }
        let start = local + 30 + local_name + local_extra;
        let data = zip.get(start..start + csize).ok_or_else(|| format!("{name}: data truncated"))?;
        if crc32(data) != crc {
            return Err(format!("{name}: CRC-32 mismatch"));
        }
        entries.push((name, data.to_vec()));
        at += 46 + name_len + extra + comment;
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_has_the_standard_check_values() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b"The quick brown fox jumps over the lazy dog"), 0x414F_A339);
    }

    #[test]
    fn stored_archive_reads_back_with_exact_layout() {
        let entries = vec![
            ("imsmanifest.xml".to_string(), b"<manifest/>".to_vec()),
            ("d/\u{e9}t\u{e9}.txt".to_string(), Vec::new()),
        ];
        let zip = stored(&entries);
        assert_eq!(&zip[..4], b"PK\x03\x04");
        assert_eq!(read_stored(&zip).unwrap(), entries);
        // 2 local headers (30 + name + data), 2 central (46 + name), end record 22.
        let names = 15 + "d/\u{e9}t\u{e9}.txt".len();
        assert_eq!(zip.len(), 2 * 30 + names + 11 + 2 * 46 + names + 22);
        assert_eq!(stored(&entries), zip, "deterministic");
        let empty = stored(&[]);
        assert_eq!(empty.len(), 22);
        assert_eq!(read_stored(&empty).unwrap(), vec![]);
    }

    #[test]
    fn corruption_is_detected() {
        let mut zip = stored(&[("a.xml".to_string(), b"hello".to_vec())]);
        let at = 30 + 5; // first data byte
        zip[at] ^= 1;
        assert_eq!(read_stored(&zip), Err("a.xml: CRC-32 mismatch".into()));
        assert!(read_stored(&zip[..zip.len() - 1]).is_err());
    }
}
