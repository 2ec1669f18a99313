//! The scoring core: one post in, one [`Assessment`] out.
//!
//! The stages run in the order of the data flow in DESIGN.md; each is a module with its
//! own tests. [`Scorer`] owns them all and is built once from the config; scoring a
//! post folds its text once ([`normalize::Text`]) and every stage reads that.

pub mod complaint;
pub mod entities;
pub mod language;
pub mod noise;
pub mod normalize;
pub mod priority;
pub mod sentiment;

use crate::config::CoreConfig;
use crate::model::{Assessment, EntityKind, Post};

pub use complaint::ComplaintDetector;
pub use entities::{EntitiesFile, EntityMatcher};
pub use language::{Lang, LanguageDetector};
pub use noise::NoiseFilter;
pub use normalize::Text;
pub use priority::PriorityRules;
pub use sentiment::SentimentAnalyzer;

pub struct Scorer {
    languages: LanguageDetector,
    noise: NoiseFilter,
    entities: EntityMatcher,
    sentiment: SentimentAnalyzer,
    complaints: ComplaintDetector,
    priority: PriorityRules,
}

impl Scorer {
    pub fn new(config: &CoreConfig, entities: &EntitiesFile) -> anyhow::Result<Scorer> {
        Ok(Scorer {
            languages: LanguageDetector::new(&config.languages()?),
            noise: NoiseFilter::new(&config.noise),
            entities: EntityMatcher::new(entities)?,
            sentiment: SentimentAnalyzer::new()?,
            complaints: ComplaintDetector::new()?,
            priority: PriorityRules::new(&config.priority),
        })
    }

    pub fn entity_matcher(&self) -> &EntityMatcher {
        &self.entities
    }

    /// Replays the noise filter's memory from posts scored before a restart (oldest first),
    /// so a resumed stream gets the verdicts an uninterrupted one would.
    pub fn warm_up<'a>(&mut self, earlier: impl IntoIterator<Item = (&'a Post, &'a Assessment)>) {
        for (post, assessment) in earlier {
            if matches!(assessment.noise, None | Some(crate::model::NoiseReason::Duplicate)) {
                self.noise.remember(post, &Text::new(&post.text));
            }
        }
    }

    /// Scores one post. `&mut self` because the noise filter remembers recent posts to
    /// spot duplicates.
    pub fn score(&mut self, post: &Post) -> Assessment {
        let text = Text::new(&post.text);
        let lang = self.languages.detect(&text, &post.text);
        let found = self.entities.find(&post.text);
        let sentiment = self.sentiment.score(&text, lang);
        let complaint = self.complaints.detect(&text, lang, &sentiment);
        let names_entity = found
            .matches
            .iter()
            .any(|m| matches!(m.kind, EntityKind::Hospital | EntityKind::Clinician | EntityKind::Keyword));
        let noise = self.noise.judge(post, &text, names_entity, found.ambiguous);
        let relevant = names_entity && noise.is_none();
        let (priority, escalate) = self.priority.rank(post, relevant, &found.matches, &sentiment, &complaint);
        Assessment {
            id: post.id.clone(),
            lang: lang.code().to_string(),
            relevant,
            noise,
            entities: found.matches,
            sentiment,
            complaint,
            priority,
            escalate,
        }
    }
}
