//! A corpus of broken and malicious PDFs, generated here (no file from
//! outside): each one aims at a way a PDF reader can crash, hang or run out
//! of memory. Shared by `tests/hostile_pdfs.rs` and `tests/handler.rs`.
#![allow(dead_code)]

use examfn_questions::extract::pdf::write_text_pdf;

/// What a case may legitimately end as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// `failed` with a reason.
    Failed,
    /// `failed`, or `ready` when the reader finds text after all.
    FailedOrText,
    /// `ready`: the control case.
    Text,
}

pub struct Case {
    pub name: &'static str,
    pub bytes: Vec<u8>,
    pub expect: Expect,
}

/// A small valid lecture.
pub fn text_pdf() -> Vec<u8> {
    let pages: Vec<Vec<String>> = (0..2)
        .map(|p| {
            vec![
                format!("Chapter {p}"),
                format!("The mitochondrion number {p} is the organelle that releases energy from glucose."),
                format!("Photosynthesis is the process {p} by which plants turn light into sugar."),
            ]
        })
        .collect();
    write_text_pdf(&pages)
}

/// A PDF from numbered object bodies (`objects[i]` is object `i + 1`), with a
/// correct xref table. `trailer_extra` goes into the trailer dictionary.
pub fn build(objects: &[Vec<u8>], trailer_extra: &str) -> Vec<u8> {
    examfn_questions::extract::pdf::assemble_pdf(objects, trailer_extra)
}

fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut v = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    v.extend_from_slice(data);
    v.extend_from_slice(b"\nendstream");
    v
}

const FONT: &str = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";

fn page(contents: u32) -> Vec<u8> {
    format!(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents {contents} 0 R >>"
    )
    .into_bytes()
}

/// One page (object 4) whose content stream (object 5) is `content`.
fn one_page(content: Vec<u8>) -> Vec<u8> {
    build(
        &[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>".to_vec(),
            FONT.as_bytes().to_vec(),
            page(5),
            content,
        ],
        "",
    )
}

/// Writes bits LSB-first, as DEFLATE wants.
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u64, n: u32) {
        self.acc |= value << self.n;
        self.n += n;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }
    /// A Huffman code: most significant bit first.
    fn code(&mut self, code: u64, n: u32) {
        let mut rev = 0u64;
        for i in 0..n {
            rev |= ((code >> i) & 1) << (n - 1 - i);
        }
        self.put(rev, n);
    }
}

/// A zlib stream that inflates to `size` spaces (a "zip bomb": ~1/160 of
/// the output), with a correct Adler-32: one fixed-Huffman block of one
/// literal and then length-258/distance-1 copies.
pub fn deflate_bomb(size: u64) -> Vec<u8> {
    let mut b = Bits { out: vec![0x78, 0x01], acc: 0, n: 0 };
    b.put(1, 1); // BFINAL
    b.put(1, 2); // fixed Huffman
    b.code(0x30 + 0x20, 8); // literal ' '
    let mut left = size - 1;
    while left >= 258 {
        b.code(0xC5, 8); // length code 285 = 258 bytes
        b.code(0, 5); // distance code 0 = 1
        left -= 258;
    }
    for _ in 0..left {
        b.code(0x30 + 0x20, 8);
    }
    b.code(0, 7); // end of block
    if b.n > 0 {
        b.out.push(b.acc as u8);
    }
    // Adler-32 of `size` spaces.
    let n = size as u128;
    let a = (1 + 32 * n) % 65521;
    let s = (n + 32 * n * (n + 1) / 2) % 65521;
    let adler = ((s as u32) << 16) | a as u32;
    b.out.extend_from_slice(&adler.to_be_bytes());
    b.out
}

/// Every case. `bomb_bytes` is the inflated size of the zip bomb (pick it
/// well above the memory limit under test).
pub fn corpus(bomb_bytes: u64) -> Vec<Case> {
    let text = text_pdf();
    let mut cases = Vec::new();
    let mut add = |name: &'static str, bytes: Vec<u8>, expect: Expect| cases.push(Case { name, bytes, expect });

    add("control: a text lecture", text.clone(), Expect::Text);
    add("empty file", Vec::new(), Expect::Failed);
    add("not a PDF", b"<html><body>lecture</body></html>".to_vec(), Expect::Failed);
    add("truncated at half", text[..text.len() / 2].to_vec(), Expect::Failed);
    {
        // Cut in the middle, then a fake end: the header checks pass.
        let mut v = text[..text.len() / 2].to_vec();
        v.extend_from_slice(b"\nstartxref\n999999999\n%%EOF\n");
        add("truncated body with a forged %%EOF", v, Expect::Failed);
    }
    {
        let mut seed = 0x2545F4914F6CDD1Du64;
        let mut v = b"%PDF-1.4\n".to_vec();
        for _ in 0..200_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            v.push(seed as u8);
        }
        v.extend_from_slice(b"\n%%EOF\n");
        add("garbage between a header and %%EOF", v, Expect::Failed);
    }
    add(
        "zip bomb: FlateDecode content stream",
        one_page(stream("/Filter /FlateDecode", &deflate_bomb(bomb_bytes))),
        Expect::Failed,
    );
    {
        // The same bomb behind a chain of filters and as a font program.
        let bomb = deflate_bomb(bomb_bytes);
        let objects = vec![
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Bomb /FontDescriptor 6 0 R /ToUnicode 7 0 R >>".to_vec(),
            page(5),
            stream("", b"BT /F1 12 Tf 72 700 Td (Hello) Tj ET"),
            b"<< /Type /FontDescriptor /FontName /Bomb /Flags 32 /FontFile 7 0 R >>".to_vec(),
            stream("/Filter /FlateDecode", &bomb),
        ];
        add("zip bomb: font program and ToUnicode map", build(&objects, ""), Expect::FailedOrText);
    }
    {
        let depth = 200_000;
        let mut content = b"BT /F1 12 Tf 72 700 Td ".to_vec();
        content.extend(std::iter::repeat_n(b'[', depth));
        content.extend(std::iter::repeat_n(b']', depth));
        content.extend_from_slice(b" TJ ET");
        add("deeply nested arrays in a content stream", one_page(stream("", &content)), Expect::FailedOrText);
    }
    {
        let depth = 200_000;
        let mut obj = Vec::new();
        obj.extend(std::iter::repeat_n(b"<< /A ".as_slice(), depth).flatten());
        obj.extend(std::iter::repeat_n(b">> ".as_slice(), depth).flatten());
        let objects = vec![
            b"<< /Type /Catalog /Pages 2 0 R /Nested 6 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>".to_vec(),
            FONT.as_bytes().to_vec(),
            page(5),
            stream("", b"BT /F1 12 Tf 72 700 Td (Deep) Tj ET"),
            obj,
        ];
        add("deeply nested dictionaries", build(&objects, ""), Expect::FailedOrText);
    }
    {
        // The Pages node is its own kid; the page's parent is itself.
        let objects = vec![
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [2 0 R 4 0 R] /Count 2 >>".to_vec(),
            FONT.as_bytes().to_vec(),
            b"<< /Type /Page /Parent 4 0 R /Resources 6 0 R /Contents 5 0 R >>".to_vec(),
            stream("", b"BT /F1 12 Tf 72 700 Td (Loop) Tj ET"),
            b"6 0 R".to_vec(),
        ];
        add("reference loops: Pages tree cycle, self-referencing objects", build(&objects, ""), Expect::FailedOrText);
    }
    {
        // A page that is its own /Parent and has no /Resources of its own
        // (pdf-extract looked them up the chain forever; found by fuzzing).
        let objects = vec![
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>".to_vec(),
            FONT.as_bytes().to_vec(),
            b"<< /Type /Page /Parent 4 0 R /MediaBox [0 0 612 792] /Contents 5 0 R >>".to_vec(),
            stream("", b"BT /F1 12 Tf 72 700 Td (Parent) Tj ET"),
        ];
        add("a page that is its own parent", build(&objects, ""), Expect::Failed);
    }
    {
        // A stream whose /Length is a reference to itself.
        let objects = vec![
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>".to_vec(),
            FONT.as_bytes().to_vec(),
            page(5),
            b"<< /Length 5 0 R >>\nstream\nBT /F1 12 Tf 72 700 Td (Len) Tj ET\nendstream".to_vec(),
        ];
        add("stream length referring to its own object", build(&objects, ""), Expect::FailedOrText);
    }
    {
        // 2^48 pages by reference: each node lists the one below twice.
        let levels = 48u32;
        let mut objects = vec![b"<< /Type /Catalog /Pages 2 0 R >>".to_vec()];
        // object 2 = top node, objects 2..2+levels are Pages nodes, then font, page, content.
        let font = 2 + levels;
        let leaf = font + 1;
        for l in 0..levels {
            let below = if l + 1 == levels { leaf } else { 3 + l };
            objects.push(
                format!("<< /Type /Pages /Kids [{below} 0 R {below} 0 R] /Count {} >>", 1u64 << (levels - l)).into_bytes(),
            );
        }
        objects.push(FONT.as_bytes().to_vec());
        objects.push(
            format!(
                "<< /Type /Page /Parent {} 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 {font} 0 R >> >> /Contents {} 0 R >>",
                1 + levels,
                leaf + 1
            )
            .into_bytes(),
        );
        objects.push(stream("", b"BT /F1 12 Tf 72 700 Td (Many) Tj ET"));
        add("2^48 pages through a shared Pages tree", build(&objects, ""), Expect::Failed);
    }
    {
        // 5000 real page objects (more than MAX_PAGES) sharing one content stream.
        let n = 5000u32;
        let mut objects = vec![b"<< /Type /Catalog /Pages 2 0 R >>".to_vec()];
        let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 5 + i)).collect();
        objects.push(format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")).into_bytes());
        objects.push(FONT.as_bytes().to_vec());
        objects.push(stream("", b"BT /F1 12 Tf 72 700 Td (Page) Tj ET"));
        for _ in 0..n {
            objects.push(
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>"
                    .to_vec(),
            );
        }
        add("5000 pages", build(&objects, ""), Expect::Failed);
    }
    add(
        "page count of a billion in /Count",
        build(
            &[
                b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
                b"<< /Type /Pages /Kids [4 0 R] /Count 1000000000 >>".to_vec(),
                FONT.as_bytes().to_vec(),
                page(5),
                stream("", b"BT /F1 12 Tf 72 700 Td (Count) Tj ET"),
            ],
            "",
        ),
        Expect::FailedOrText,
    );
    {
        // Standard security handler, RC4, user password unknown (random O/U).
        let hex = |seed: u8| (0..32u8).map(|i| format!("{:02x}", i.wrapping_mul(37).wrapping_add(seed))).collect::<String>();
        let objects = vec![
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>".to_vec(),
            FONT.as_bytes().to_vec(),
            page(5),
            stream("", b"\x8a\x11\x93\xfe\x02garbled-by-rc4"),
            format!("<< /Filter /Standard /V 1 /R 2 /O <{}> /U <{}> /P -3904 >>", hex(7), hex(91)).into_bytes(),
        ];
        add(
            "encrypted with a user password",
            build(&objects, "/Encrypt 6 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>]"),
            Expect::Failed,
        );
    }
    add("no text: vector drawing only", one_page(stream("", b"0 0 1 rg 72 72 200 200 re f 1 w 0 0 m 612 792 l S")), Expect::Failed);
    add(
        "huge operand counts in a content stream",
        one_page(stream("", &b"1 ".repeat(2_000_000))),
        Expect::FailedOrText,
    );
    cases
}
