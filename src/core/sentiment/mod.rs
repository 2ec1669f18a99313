//! Sentiment: rule-based valence in the manner of VADER, per language.
//!
//! English reads VADER's lexicon and rules ([`rules`]) plus hearken's own phrases for
//! hospital feedback; Indonesian and Malay read a lexicon learned from labelled reviews
//! and comments (SmSA, see `lexicons/tools/build_id_lexicon.py`) merged with hand-curated
//! words, under the same rules with Indonesian negators, boosters and contrast words. A
//! post whose language is undetermined is read with both.
//!
//! The compound score is VADER's: the rule-adjusted sum of valences squashed into
//! [-1, 1]. The label is positive or negative by the sign of the compound past a small
//! threshold; an Indonesian text that reads like news (its words lean neutral in the
//! learned lexicon) is neutral.

mod lexicon;
mod rules;

pub use lexicon::Lexicon;
pub use rules::Scores;

use super::language::Lang;
use super::normalize::Text;
use crate::model::{Complaint, Sentiment, SentimentLabel};

/// |compound| below this is neutral (VADER's recommended 0.05).
const NEUTRAL_BAND: f32 = 0.05;

/// A complaint whose words lean positive by less than this reads as negative...
const COMPLAINT_OVERRIDES: f32 = 0.1;
/// ... and by this much more per unit of complaint probability past the threshold.
const COMPLAINT_OVERRIDES_PER_CONFIDENCE: f32 = 0.5;
/// The compound given to a complaint read as negative when its words scored above it.
const COMPLAINT_COMPOUND: f32 = -0.1;

pub struct SentimentAnalyzer {
    en: Lexicon,
    /// Indonesian over English.
    id: Lexicon,
    /// English over Indonesian, for posts of undetermined language.
    any: Lexicon,
}

fn english(lex: &mut Lexicon) -> anyhow::Result<()> {
    lex.add_valence("en/vader_lexicon.txt", include_str!("../../../lexicons/en/vader_lexicon.txt"), false)?;
    lex.add_emoji(include_str!("../../../lexicons/en/vader_emoji_lexicon.txt"));
    lex.add_valence("en/sentiment.tsv", include_str!("../../../lexicons/en/sentiment.tsv"), false)?;
    lex.add_boosters("en/boosters.tsv", include_str!("../../../lexicons/en/boosters.tsv"))?;
    lex.add_negators(include_str!("../../../lexicons/en/negators.txt"));
    lex.add_contrast("en/contrast.tsv", include_str!("../../../lexicons/en/contrast.tsv"))?;
    lex.add_idioms("en/idioms.tsv", include_str!("../../../lexicons/en/idioms.tsv"))?;
    lex.add_answers("en/answers.tsv", include_str!("../../../lexicons/en/answers.tsv"))?;
    lex.add_wishes("en/wishes.tsv", include_str!("../../../lexicons/en/wishes.tsv"))?;
    Ok(())
}

fn indonesian(lex: &mut Lexicon) -> anyhow::Result<()> {
    lex.add_valence("id/sentiment.tsv", include_str!("../../../lexicons/id/sentiment.tsv"), true)?;
    lex.add_valence("id/curated.tsv", include_str!("../../../lexicons/id/curated.tsv"), false)?;
    lex.add_boosters("id/boosters.tsv", include_str!("../../../lexicons/id/boosters.tsv"))?;
    lex.add_negators(include_str!("../../../lexicons/id/negators.txt"));
    lex.add_contrast("id/contrast.tsv", include_str!("../../../lexicons/id/contrast.tsv"))?;
    lex.add_idioms("id/idioms.tsv", include_str!("../../../lexicons/id/idioms.tsv"))?;
    Ok(())
}

impl SentimentAnalyzer {
    pub fn new() -> anyhow::Result<SentimentAnalyzer> {
        let mut en = Lexicon::default();
        english(&mut en)?;
        // Indonesian posts mix in English ("pelayanan nya bad banget"), and short English
        // posts are sometimes taken for Indonesian: each reads both lexicons, its own
        // language winning where they share a word.
        let mut id = Lexicon::default();
        english(&mut id)?;
        indonesian(&mut id)?;
        let mut any = Lexicon::default();
        indonesian(&mut any)?;
        english(&mut any)?;
        // The learned intercept belongs to Indonesian texts only.
        any.bias_valence = 0.0;
        Ok(SentimentAnalyzer { en, id, any })
    }

    /// All the figures behind a score (VADER's pos/neg/neu, the raw sum, evidence).
    pub fn analyze(&self, text: &Text, lang: Lang) -> Scores {
        match lang {
            Lang::En => rules::analyze(&self.en, text, false),
            Lang::Id | Lang::Ms => rules::analyze(&self.id, text, true),
            Lang::Und => rules::analyze(&self.any, text, true),
        }
    }

    pub fn score(&self, text: &Text, lang: Lang) -> Sentiment {
        let s = self.analyze(text, lang);
        let label = if s.evidence == 0 {
            SentimentLabel::Neutral
        } else if lang.is_malay_family() && s.neutral_lean > 0.0 {
            SentimentLabel::Neutral
        } else if lang.is_malay_family() {
            // The learned lexicon's intercept is in the sum: its sign decides.
            if s.compound > 0.0 {
                SentimentLabel::Positive
            } else {
                SentimentLabel::Negative
            }
        } else if s.compound >= NEUTRAL_BAND {
            SentimentLabel::Positive
        } else if s.compound <= -NEUTRAL_BAND {
            SentimentLabel::Negative
        } else {
            SentimentLabel::Neutral
        };
        let compound = if s.compound == 0.0 { 0.0 } else { s.compound };
        Sentiment { compound, label }
    }
}

/// The sentiment of a post once its complaint verdict is known. Complaints are often
/// written in neutral or even polite words ("Cue waiting time by an hour", "Would be nice
/// if someone answered the phone"): a lexicon reads them as neutral or mildly positive,
/// a patient-relations officer reads them as negative. So a complaint is negative unless
/// its words are clearly positive, the bar rising with the detector's confidence.
/// Indonesian and Malay are left as scored: their lexicon was learned from the same
/// labelled reviews as the complaint model's Indonesian side, so the verdict adds nothing.
pub fn with_complaint(sentiment: Sentiment, complaint: &Complaint, complaint_threshold: f32, lang: Lang) -> Sentiment {
    if !complaint.is_complaint || lang.is_malay_family() || sentiment.label == SentimentLabel::Negative {
        return sentiment;
    }
    let confidence = (complaint.score - complaint_threshold).max(0.0);
    if sentiment.compound >= COMPLAINT_OVERRIDES + COMPLAINT_OVERRIDES_PER_CONFIDENCE * confidence {
        return sentiment;
    }
    Sentiment { compound: sentiment.compound.min(COMPLAINT_COMPOUND), label: SentimentLabel::Negative }
}

#[cfg(test)]
mod tests;
