//! Complaint detection: is-complaint plus categories with their evidence.
//!
//! FIRST CUT — being replaced by the lexicon-driven detector (issue 3).

use super::language::Lang;
use super::normalize::Text;
use crate::model::{Category, CategoryHit, Complaint, Sentiment};

pub struct ComplaintDetector {
    terms: Vec<(Category, &'static str)>,
}

impl ComplaintDetector {
    pub fn new() -> anyhow::Result<ComplaintDetector> {
        Ok(ComplaintDetector {
            terms: vec![
                (Category::WaitTime, "waited"),
                (Category::WaitTime, "antri"),
                (Category::StaffAttitude, "rude"),
                (Category::Misdiagnosis, "salah diagnosa"),
                (Category::LegalThreat, "lawyer"),
            ],
        })
    }

    pub fn detect(&self, text: &Text, _lang: Lang, sentiment: &Sentiment) -> Complaint {
        let mut categories: Vec<CategoryHit> = Vec::new();
        for (cat, term) in &self.terms {
            if text.has_phrase(term) {
                categories.push(CategoryHit { id: *cat, score: 0.6, evidence: vec![term.to_string()] });
            }
        }
        let is_complaint = !categories.is_empty() || sentiment.compound < -0.4;
        Complaint { is_complaint, score: if is_complaint { 0.6 } else { 0.1 }, categories }
    }
}
