//! Stories and cases: which case a scored post opens or joins.
//!
//! A case is one story about one entity. The entity is the most specific one the post
//! names (a clinician before their hospital). A post joins an open case of that entity
//! when it replies to one of the case's posts, is a near-duplicate or quote of one of
//! them (a reshare), or comes from the same author; otherwise a complaint opens a new case.
//! Noise never opens a case, but a reshare judged `duplicate` still joins the story it
//! copies: spread is what turns one angry post into an emergency.

pub mod spike;

use crate::core::noise::simhash;
use crate::core::Text;
use crate::model::{Assessment, EntityKind, EntityMatch, EntityRef, NoiseReason, Post};

/// SimHash bits within which a post counts as the same text as a case's post. Looser than
/// the noise filter's: a quote with a few words of commentary still belongs to the story.
pub const STORY_NEAR_BITS: u32 = 12;

/// The entity a case about this post is filed under.
pub fn case_entity(entities: &[EntityMatch]) -> Option<EntityRef> {
    [EntityKind::Clinician, EntityKind::Hospital, EntityKind::Keyword].into_iter().find_map(|kind| {
        entities.iter().find(|m| m.kind == kind).map(|m| EntityRef { kind, id: m.id.clone() })
    })
}

/// What the case logic needs to know about a post, computed once.
pub struct StoryKey {
    pub entity: Option<EntityRef>,
    pub simhash: u64,
    pub author: Option<String>,
}

impl StoryKey {
    pub fn of(post: &Post, assessment: &Assessment) -> StoryKey {
        StoryKey {
            entity: case_entity(&assessment.entities),
            simhash: simhash(&Text::new(&post.text)),
            author: post.author.as_ref().and_then(|a| a.handle.clone().or_else(|| a.id.clone())),
        }
    }
}

/// May this post take part in a case at all, and may it open one?
pub fn role(assessment: &Assessment) -> StoryRole {
    match (assessment.relevant, assessment.noise) {
        (true, _) if assessment.complaint.is_complaint => StoryRole::Opens,
        // Praise or a question about the same story (a reply) joins but never opens.
        (true, _) => StoryRole::JoinsOnly,
        (false, Some(NoiseReason::Duplicate)) => StoryRole::JoinsOnly,
        _ => StoryRole::None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoryRole {
    Opens,
    JoinsOnly,
    None,
}

/// Stable id of the spike case of an entity × category × hour.
pub fn spike_case_id(entity: &EntityRef, category: &str, hour: i64) -> String {
    format!("spike-{}-{category}-{hour}", entity.id)
}

/// Stable case id: derived from the uid of the post that opened it, so replays agree.
pub fn case_id_for(opening_post_uid: &str) -> String {
    let mut h = 0xcbf29ce484222325u64;
    for b in opening_post_uid.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("case-{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(kind: EntityKind, id: &str) -> EntityMatch {
        EntityMatch { kind, id: id.into(), matched: id.into(), start: 0, end: 1 }
    }

    #[test]
    fn clinician_before_hospital() {
        let e = case_entity(&[m(EntityKind::Hospital, "h"), m(EntityKind::Department, "er"), m(EntityKind::Clinician, "c")]).unwrap();
        assert_eq!((e.kind, e.id.as_str()), (EntityKind::Clinician, "c"));
        assert!(case_entity(&[m(EntityKind::Department, "er")]).is_none());
    }

    #[test]
    fn case_ids_are_stable() {
        assert_eq!(case_id_for("x:1"), case_id_for("x:1"));
        assert_ne!(case_id_for("x:1"), case_id_for("x:2"));
        assert!(case_id_for("x:1").starts_with("case-"));
    }
}
