//! Every lecture format through `extract`: the text comes out in the shape
//! the analysis reads (a slide or a page per page, headings on their own
//! lines, list items with markers by level, table rows as tab-separated
//! lines, speaker notes as prose), and the analysis files each line as it
//! should (table rows are tables, never prose).

use examfn_questions::analysis::prose::Class;
use examfn_questions::analysis::text::sentences;
use examfn_questions::extract::samples::{self, Part, Slide};
use examfn_questions::extract::{extract, ExtractError, Format};

fn lines(p: &str) -> Vec<&str> {
    p.lines().collect()
}

fn deck_checks(format: Format, bytes: &[u8]) {
    let t = extract(bytes, format).unwrap();
    assert_eq!(t.unit(), "slide");
    assert_eq!(t.page_count(), 6, "{:#?}", t.pages);
    assert_eq!(lines(&t.pages[0]), ["Cell Biology: Organelles", "• Biology 101, week 3", "This lecture introduces the organelles of the eukaryotic cell and the work each of them does."]);
    assert_eq!(
        lines(&t.pages[1]),
        [
            "The Nucleus",
            "• The nucleus stores the genetic material of the cell",
            "  ◦ Chromatin",
            "  ◦ Nucleolus",
            "• The nuclear envelope is a double membrane with pores",
            "The nucleus is the organelle that holds the chromosomes of a eukaryotic cell.",
            "The nucleolus is the region of the nucleus that makes ribosomes.",
        ],
        "{format:?}"
    );
    assert_eq!(lines(&t.pages[3])[..4], ["Organelles at a Glance", "Organelle\tFunction", "Ribosome\tBuilds proteins", "Lysosome\tDigests waste"]);
    assert_eq!(t.pages[4], "", "the hidden slide keeps its number, not its text");
    assert_eq!(t.notes, ["hidden slide(s) 5 left out"]);
    assert!(!t.pages.concat().contains(['1', '2', '3', '4', '5', '6'].map(|c| format!("\n{c}")).concat().as_str()));
    // The analysis: the title is no prose, the table rows are tables, the notes are prose.
    let (s, _) = sentences(&t.pages);
    let class = |needle: &str| s.iter().find(|x| x.text.contains(needle)).map(|x| (x.class, x.page)).unwrap_or_else(|| panic!("{needle}: {s:#?}"));
    assert_eq!(class("Ribosome | Builds proteins"), (Class::Table, 4));
    assert_eq!(class("The mitochondrion is the organelle"), (Class::Prose, 3));
    assert_eq!(class("Chloroplasts capture").1, 6);
    assert!(s.iter().all(|x| !x.text.contains("Secret backup")));
}

#[test]
fn pptx_slides_titles_bullets_tables_notes() {
    deck_checks(Format::Pptx, &samples::pptx(&samples::cell_biology_slides()));
}

#[test]
fn odp_slides_titles_bullets_tables_notes() {
    deck_checks(Format::Odp, &samples::odp(&samples::cell_biology_slides()));
}

fn document_checks(format: Format, bytes: &[u8], paged: bool) {
    let t = extract(bytes, format).unwrap();
    assert_eq!(t.unit(), "page");
    let all: Vec<&str> = t.pages.iter().flat_map(|p| p.lines()).collect();
    assert_eq!(
        all[..9],
        [
            "The Water Cycle",
            "The water cycle is the continuous movement of water between the oceans, the air and the land.",
            "Evaporation is the change of liquid water into water vapour.",
            "Condensation is the process that turns water vapour into clouds.",
            "Stages",
            "1. Evaporation from the oceans",
            "2. Condensation into clouds",
            "3. Precipitation as rain or snow",
            "  ◦ Rain",
        ],
        "{format:?}: {:#?}",
        t.pages
    );
    assert!(all.contains(&"Oceans\t97 percent"), "{all:#?}");
    if paged {
        assert_eq!(t.page_count(), 2, "{:#?}", t.pages);
        assert!(t.pages[1].starts_with("Where the Water Is\n"), "{:?}", t.pages[1]);
    } else {
        assert_eq!(t.page_count(), 1, "short: one page");
    }
    let (s, _) = sentences(&t.pages);
    let prose = s.iter().filter(|x| x.class == Class::Prose).count();
    assert!(prose >= 6, "{:#?}", s.iter().map(|x| (x.class, &x.text)).collect::<Vec<_>>());
    assert!(s.iter().any(|x| x.class == Class::Table && x.text == "Reservoir | Share of water"));
}

#[test]
fn docx_headings_lists_tables_page_breaks() {
    document_checks(Format::Docx, &samples::docx(&samples::water_cycle_document()), true);
}

#[test]
fn odt_headings_lists_tables_page_breaks() {
    document_checks(Format::Odt, &samples::odt(&samples::water_cycle_document()), true);
}

#[test]
fn markdown_headings_lists_tables() {
    document_checks(Format::Markdown, samples::markdown(&samples::water_cycle_document()).as_bytes(), false);
}

#[test]
fn html_headings_lists_tables_without_scripts_navigation_or_footer() {
    let page = samples::html("Water", &samples::water_cycle_document());
    document_checks(Format::Html, page.as_bytes(), false);
    let t = extract(page.as_bytes(), Format::Html).unwrap();
    let all = t.pages.concat();
    for never in ["never read", "document.cookie", "font-family", "Courses", "All rights reserved"] {
        assert!(!all.contains(never), "{never}: {all}");
    }
}

#[test]
fn long_documents_are_paged_by_size() {
    let mut parts = Vec::new();
    for s in 0..12 {
        parts.push(Part::Heading(2, format!("Section {s}")));
        for i in 0..6 {
            parts.push(Part::Para(format!("Sentence {i} of section {s} says that the river carries sediment from the mountains to the sea every spring.")));
        }
    }
    for (format, bytes) in [(Format::Markdown, samples::markdown(&parts).into_bytes()), (Format::Html, samples::html("x", &parts).into_bytes())] {
        let t = extract(&bytes, format).unwrap();
        assert!((3..=6).contains(&t.page_count()), "{format:?}: {}", t.page_count());
        for p in &t.pages {
            assert!(p.starts_with("Section "), "{format:?}: a page starts at a section: {p:.60}");
        }
    }
    // A .docx without page breaks is paged by size too.
    let t = extract(&samples::docx(&parts), Format::Docx).unwrap();
    assert!(t.page_count() >= 3, "{}", t.page_count());
}

#[test]
fn markdown_raw_html_code_and_front_matter_are_left_out() {
    let md = "---\ntitle: secret front matter\n---\n\n# Osmosis\n\nOsmosis is the movement of water across a membrane.<script>alert('inline')</script> It needs no energy.\n\n<div><script>\nsteal(document.cookie)\n</script><p>Diffusion spreads molecules out.</p></div>\n\n```python\nprint('code')\n```\n\n![a cell diagram](cell.png)\n\n<style>p { color: red }</style>\n";
    let t = extract(md.as_bytes(), Format::Markdown).unwrap();
    let all = t.pages.concat();
    assert_eq!(lines(&t.pages[0]), ["Osmosis", "Osmosis is the movement of water across a membrane. It needs no energy.", "Diffusion spreads molecules out."], "{all}");
}

#[test]
fn html_entities_charsets_and_hidden_parts() {
    let page = b"<html><head><meta charset=\"iso-8859-1\"></head><body><h1>Caf\xe9 &amp; Th&eacute;</h1><p hidden>Hidden text.</p><div style=\"display: none\">Also hidden.</div><p>Water boils at 100&nbsp;&deg;C &#8211; at sea level.<br>Ice melts at 0 &#x00B0;C.</p><ul><li>One<ul><li>Nested</li></ul></li><li>Two</li></ul><pre>code()</pre></body></html>";
    let t = extract(page, Format::Html).unwrap();
    assert_eq!(lines(&t.pages[0]), ["Café & Thé", "Water boils at 100 °C – at sea level.", "Ice melts at 0 °C.", "• One", "  ◦ Nested", "• Two"]);
}

#[test]
fn broken_files_say_what_is_wrong() {
    let deck = samples::pptx(&samples::cell_biology_slides());
    let e = extract(&deck[..deck.len() / 2], Format::Pptx).unwrap_err();
    assert!(matches!(e, ExtractError::Corrupt { .. }), "{e}");
    let e = extract(&samples::docx(&samples::water_cycle_document()), Format::Pptx).unwrap_err();
    assert!(e.to_string().contains("no slides"), "a .docx named .pptx: {e}");
    let e = extract(b"<html><script>only()</script></html>", Format::Html).unwrap_err();
    assert!(matches!(e, ExtractError::NoText { .. }), "{e}");
    let empty = samples::pptx(&[Slide { title: String::new(), ..Slide::default() }]);
    assert_eq!(extract(&empty, Format::Pptx).unwrap_err().to_string(), "the PowerPoint deck (.pptx) has 1 slide(s) but no text to write questions from");
}
