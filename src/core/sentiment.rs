//! Sentiment: rule-based valence in the manner of VADER.
//!
//! FIRST CUT — being replaced by the full VADER-style analyzer (issue 3).

use super::language::Lang;
use super::normalize::Text;
use crate::model::{Sentiment, SentimentLabel};
use std::collections::HashMap;

pub struct SentimentAnalyzer {
    valence: HashMap<String, f32>,
}

impl SentimentAnalyzer {
    pub fn new() -> anyhow::Result<SentimentAnalyzer> {
        let mut valence = HashMap::new();
        for line in include_str!("../../lexicons/en/vader_lexicon.txt").lines() {
            let mut parts = line.split('\t');
            if let (Some(w), Some(v)) = (parts.next(), parts.next()) {
                if let Ok(v) = v.parse::<f32>() {
                    valence.insert(w.to_string(), v);
                }
            }
        }
        Ok(SentimentAnalyzer { valence })
    }

    pub fn score(&self, text: &Text, _lang: Lang) -> Sentiment {
        let sum: f32 = text.words().filter_map(|w| self.valence.get(w)).sum();
        let compound = sum / (sum * sum + 15.0).sqrt();
        let label = if compound >= 0.05 {
            SentimentLabel::Positive
        } else if compound <= -0.05 {
            SentimentLabel::Negative
        } else {
            SentimentLabel::Neutral
        };
        Sentiment { compound, label }
    }
}
