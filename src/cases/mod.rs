//! Stories and cases: which case a scored post opens or joins.
//!
//! A case is one story about one entity. The entity is the most specific one the opening
//! post names (a clinician before their hospital). A post joins an open story when it
//! replies to or quotes one of its posts, reshares or mentions one of its authors, comes
//! from the same author, is a near-duplicate, or tells the same story in new words
//! ([`stories`] says how each is found); otherwise a complaint opens a new case.
//! Noise never opens a case, but a reshare judged `duplicate` still joins the story it
//! copies: spread is what turns one angry post into an emergency.

pub mod spike;
pub mod stories;

use crate::model::{Assessment, EntityKind, EntityMatch, EntityRef, NoiseReason};

pub use stories::{JoinReason, PostFeatures, StoryIndex, STORY_NEAR_BITS, STORY_WINDOW_DAYS};

/// The entity a case about this post is filed under.
pub fn case_entity(entities: &[EntityMatch]) -> Option<EntityRef> {
    [EntityKind::Clinician, EntityKind::Hospital, EntityKind::Keyword].into_iter().find_map(|kind| {
        entities.iter().find(|m| m.kind == kind).map(|m| EntityRef { kind, id: m.id.clone() })
    })
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

/// Where a post can take part in a story: its role (never `None`) and the entity the
/// story is filed under. `None` for the posts that cannot (most of them), which then need
/// no story features.
pub fn story_place(assessment: &Assessment) -> Option<(StoryRole, EntityRef)> {
    match role(assessment) {
        StoryRole::None => None,
        role => case_entity(&assessment.entities).map(|entity| (role, entity)),
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
    fn story_place_needs_a_role_and_an_entity() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let entities = crate::core::EntitiesFile::load(&root.join("lexicons/entities.toml")).unwrap();
        let mut scorer = crate::core::Scorer::new(&crate::config::Config::parse("").unwrap().core, &entities).unwrap();
        let mut place = |id: &str, text: &str| {
            let post = crate::model::Post::from_json_line(&serde_json::json!({"id": id, "text": text}).to_string()).unwrap();
            story_place(&scorer.score(&post)).map(|(role, e)| (role, e.kind))
        };
        assert_eq!(
            place("1", "Waited five hours at RS Zenith emergency and nobody came to see my father"),
            Some((StoryRole::Opens, EntityKind::Hospital))
        );
        assert_eq!(place("2", "The nurses at RS Zenith were wonderful to my mother, thank you"), Some((StoryRole::JoinsOnly, EntityKind::Hospital)));
        assert_eq!(place("3", "Waited five hours for the bus and nobody came"), None, "names no entity: not relevant, no role");
    }

    #[test]
    fn case_ids_are_stable() {
        assert_eq!(case_id_for("x:1"), case_id_for("x:1"));
        assert_ne!(case_id_for("x:1"), case_id_for("x:2"));
        assert!(case_id_for("x:1").starts_with("case-"));
    }
}
