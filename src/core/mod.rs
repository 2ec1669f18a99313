//! The scoring core: one post in, one [`Assessment`] out.
//!
//! The stages run in the order of the data flow in DESIGN.md; each is a module with its
//! own tests. [`Scorer`] owns them all and is built once from the config; scoring a
//! post folds its text once ([`normalize::Text`]) and every stage reads that.
//!
//! Every stage but one is a pure function of the post, so posts can be scored on many
//! threads at once ([`Scorer::assess`]). The exception is the duplicate check of the noise
//! filter, which remembers recent posts: [`Scorer::finish`] runs it, and calling it in
//! stream order gives exactly the verdicts of scoring one post after another.

pub mod complaint;
pub mod entities;
pub mod language;
pub mod noise;
pub mod normalize;
pub mod priority;
pub mod sentiment;

use std::sync::{Mutex, PoisonError};

use crate::config::CoreConfig;
use crate::model::{Assessment, Complaint, EntityKind, NoiseReason, Post, Sentiment};

pub use complaint::ComplaintDetector;
pub use entities::{EntitiesFile, EntityMatcher};
pub use language::{Lang, LanguageDetector};
pub use noise::{DuplicateMemory, NoiseFilter};
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
    /// Behind a lock so that [`Scorer::finish`] can take `&self`: one `Scorer` is shared by
    /// every scoring thread.
    duplicates: Mutex<DuplicateMemory>,
}

/// A post scored by every stateless stage: what [`Scorer::assess`] leaves for
/// [`Scorer::finish`].
pub struct Draft {
    lang: Lang,
    found: entities::Found,
    sentiment: Sentiment,
    complaint: Complaint,
    names_entity: bool,
    screened: noise::Screened,
}

impl Scorer {
    pub fn new(config: &CoreConfig, entities: &EntitiesFile) -> anyhow::Result<Scorer> {
        let noise = NoiseFilter::new(&config.noise);
        let model = config.complaint_model()?;
        // The complaint lexicon (tens of thousands of expanded phrases in one automaton)
        // is most of the start-up time: it is built on a second thread meanwhile the rest
        // is, which matters to `hearken score` on a short file.
        let (complaints, rest) = std::thread::scope(|scope| {
            let complaints = scope.spawn(|| ComplaintDetector::with_model(&model));
            let rest = (|| {
                anyhow::Ok((
                    LanguageDetector::new(&config.languages()?),
                    EntityMatcher::new(entities)?,
                    SentimentAnalyzer::new()?,
                ))
            })();
            let complaints = complaints.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (complaints, rest)
        });
        let (languages, entities, sentiment) = rest?;
        Ok(Scorer {
            languages,
            duplicates: Mutex::new(noise.new_memory()),
            noise,
            entities,
            sentiment,
            complaints: complaints?,
            priority: PriorityRules::new(&config.priority),
        })
    }

    pub fn entity_matcher(&self) -> &EntityMatcher {
        &self.entities
    }

    /// Replays the noise filter's memory from posts scored before a restart (oldest first),
    /// so a resumed stream gets the verdicts an uninterrupted one would.
    pub fn warm_up<'a>(&mut self, earlier: impl IntoIterator<Item = (&'a Post, &'a Assessment)>) {
        let memory = self.duplicates.get_mut().unwrap_or_else(PoisonError::into_inner);
        for (post, assessment) in earlier {
            if matches!(assessment.noise, None | Some(NoiseReason::Duplicate)) {
                self.noise.remember(memory, post, &Text::new(&post.text));
            }
        }
    }

    /// Scores one post. `&mut self` because the noise filter remembers recent posts to
    /// spot duplicates.
    pub fn score(&mut self, post: &Post) -> Assessment {
        let draft = self.assess(post);
        let memory = self.duplicates.get_mut().unwrap_or_else(PoisonError::into_inner);
        Self::complete(&self.priority, memory, post, draft)
    }

    /// Every stage that depends on the post alone; safe to run on many threads at once.
    pub fn assess(&self, post: &Post) -> Draft {
        let text = Text::new(&post.text);
        let lang = self.languages.detect(&text, &post.text);
        let found = self.entities.find(&post.text);
        let sentiment = self.sentiment.score(&text, lang);
        let complaint = self.complaints.detect(&text, lang, &sentiment);
        let sentiment = sentiment::with_complaint(sentiment, &complaint, self.complaints.threshold(), lang);
        let names_entity = found
            .matches
            .iter()
            .any(|m| matches!(m.kind, EntityKind::Hospital | EntityKind::Clinician | EntityKind::Keyword));
        let screened = self.noise.screen(post, &text, names_entity, found.ambiguous);
        Draft { lang, found, sentiment, complaint, names_entity, screened }
    }

    /// The duplicate check and priority of an assessed post. Posts of one stream must be
    /// finished in stream order: the duplicate check remembers them.
    pub fn finish(&self, post: &Post, draft: Draft) -> Assessment {
        let mut memory = self.duplicates.lock().unwrap_or_else(PoisonError::into_inner);
        Self::complete(&self.priority, &mut memory, post, draft)
    }

    fn complete(priority: &PriorityRules, memory: &mut DuplicateMemory, post: &Post, draft: Draft) -> Assessment {
        let Draft { lang, found, sentiment, complaint, names_entity, screened } = draft;
        let noise = match screened {
            noise::Screened::Noise(reason) => Some(reason),
            noise::Screened::Candidate(f) if memory.check(f) => Some(NoiseReason::Duplicate),
            noise::Screened::Candidate(_) | noise::Screened::Clean => None,
        };
        let relevant = names_entity && noise.is_none();
        let (priority, escalate) = priority.rank(post, relevant, &found.matches, &sentiment, &complaint);
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
