//! The whole writing path without a language model (the rule-based source
//! alone), on a short lecture of one-line facts.

use super::*;
use crate::source::{QuestionSource, RulesSource};

/// A five-page lecture (geography): a heading per page, one fact per line.
pub fn geography() -> Vec<String> {
    let pages: [&[&str]; 5] = [
        &["Rivers", "A river is a natural stream of water that flows towards an ocean or a lake.", "The Nile is the longest river in Africa and flows through eleven countries.", "The Amazon carries about 20% of the fresh water that reaches the oceans.", "The drainage basin is the area of land that drains into a single river."],
        &["Erosion", "Erosion is the process that wears away rock and soil and moves it elsewhere.", "A meander is a bend in a river that forms where water erodes the outer bank.", "Deposition happens where a river slows down and drops the sediment it carries.", "The Mississippi Delta grew by about 3 kilometres every century before 1900."],
        &["Climate", "Climate is the average weather of a region measured over 30 years.", "The Gulf Stream is an ocean current that warms the climate of western Europe.", "About 71% of the surface of the Earth is covered by water.", "The Intergovernmental Panel on Climate Change was founded in 1988."],
        &["The Water Cycle", "Evaporation is the change of liquid water into water vapour.", "Condensation is the process that turns water vapour into clouds.", "Precipitation returns about 505,000 cubic kilometres of water to the surface each year.", "The Aral Sea lost about 90% of its volume after 1960."],
        &["Floods", "A floodplain is the flat land beside a river that floods when the river overflows.", "The Yellow River flood of 1931 was one of the deadliest disasters in history.", "A levee is a raised bank that keeps a river within its channel.", "The Thames Barrier has protected London from floods since 1982."],
    ];
    pages.iter().map(|p| p.join("\n")).collect()
}

fn rules_only(pages: Vec<String>, req: Request) -> (Writing, Vec<(String, usize)>) {
    let lecture = Arc::new(Lecture::analyse(pages, None, "no embedding model configured"));
    let mut w = Writer::new(lecture.clone(), req);
    let mut take = |c| w.take(c);
    let fut = RulesSource.propose(&lecture, &req, std::time::Instant::now(), &mut take);
    let report = {
        let mut f = std::pin::pin!(fut);
        match f.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
            std::task::Poll::Ready(r) => r,
            std::task::Poll::Pending => unreachable!("the rule-based source does no I/O"),
        }
    };
    w.report(report);
    let rejections = w.rejections();
    (w.finish(), rejections)
}

use std::future::Future;

#[test]
fn the_rules_alone_write_a_full_exam_from_a_lecture_of_plain_facts() {
    let req = Request { n_mcq: 6, n_tfq: 4, n_options: 3 };
    let (w, rejected) = rules_only(geography(), req);
    let summary: Vec<String> = w.questions.iter().map(|q| format!("{} | {} | {}", q.generated.form, q.generated.question.question, q.generated.question.correct_answer)).collect();
    assert_eq!(
        (w.count(QuestionType::MultipleChoice), w.count(QuestionType::TrueFalse)),
        (6, 4),
        "{summary:#?}\nshortfall {:?}\nrejected {rejected:?}\nsources {:?}",
        w.shortfall,
        w.sources
    );
    assert_eq!(w.generator, "builtin");
    assert!(w.questions.iter().all(|q| q.origin == "rules" && q.model.is_none()));
    let falses = w.questions.iter().filter(|q| q.generated.question.correct_answer == "False").count();
    assert_eq!(falses, 2, "half of the true/false items are false: {summary:#?}");
    for q in &w.questions {
        let text = q.generated.question.question.to_lowercase();
        if q.generated.question.correct_answer == "False" {
            assert!(!text.contains(" not ") && !text.contains("n't"), "false through a fact: {text}");
        }
    }
}

#[test]
fn a_two_page_lecture_with_one_true_false_item_asked_gets_it_whatever_its_truth() {
    let pages: Vec<String> = (0..2)
        .map(|p| format!("Chapter {p}\nThe mitochondrion number {p} is the organelle that releases energy from glucose.\nPhotosynthesis is the process {p} by which plants turn light into sugar."))
        .collect();
    let (w, rejected) = rules_only(pages, Request { n_mcq: 1, n_tfq: 1, n_options: 4 });
    let summary: Vec<String> = w.questions.iter().map(|q| format!("{} | {} | {:?}", q.generated.form, q.generated.question.question, q.generated.question.options)).collect();
    assert!(w.count(QuestionType::TrueFalse) == 1, "{summary:#?}\nshortfall {:?}\nrejected {rejected:?}\nsources {:?}", w.shortfall, w.sources);
}

#[test]
fn a_short_lecture_of_paragraphs_gets_questions_from_the_rules() {
    let pages: Vec<String> = [
        ("Cells", "The mitochondrion is the organelle that releases energy from glucose in a process called cellular respiration. Cells that need much energy, such as muscle cells, contain thousands of mitochondria."),
        ("The nucleus", "The nucleus holds the chromosomes of a eukaryotic cell and controls which genes are expressed. It is surrounded by a double membrane called the nuclear envelope, which has pores for large molecules."),
        ("Proteins", "Ribosomes build proteins from amino acids by reading messenger RNA. Proteins that leave the cell are folded in the endoplasmic reticulum and packed by the Golgi apparatus."),
        ("Plants", "Photosynthesis turns light, water and carbon dioxide into sugar and oxygen. It takes place in the chloroplasts, whose green pigment chlorophyll absorbs red and blue light."),
        ("Division", "Mitosis divides one cell into two cells with the same chromosomes. Meiosis makes four cells with half the chromosomes each, and it produces the gametes of animals and plants."),
    ]
    .iter()
    .map(|(t, p)| format!("{t}\n{p}"))
    .collect();
    let (w, rejected) = rules_only(pages, Request { n_mcq: 3, n_tfq: 2, n_options: 4 });
    let summary: Vec<String> = w.questions.iter().map(|q| format!("{} | {} | {:?}", q.generated.form, q.generated.question.question, q.generated.question.options)).collect();
    assert!(!w.questions.is_empty(), "{summary:#?}\nshortfall {:?}\nrejected {rejected:?}\nsources {:?}", w.shortfall, w.sources);
}
