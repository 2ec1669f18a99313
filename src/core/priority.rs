//! Priority: how urgently a person should look at a post.
//!
//! FIRST CUT — being replaced by the severity model (issue 3).

use serde::{Deserialize, Serialize};

use crate::model::{Complaint, EntityMatch, Post, Priority, PriorityLevel, Sentiment};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PriorityConfig {
    /// Posts at this level or more urgent are escalated (pushed to the CRM at once).
    pub escalate_at: PriorityLevel,
}

impl Default for PriorityConfig {
    fn default() -> Self {
        PriorityConfig { escalate_at: PriorityLevel::P2 }
    }
}

pub struct PriorityRules {
    config: PriorityConfig,
}

impl PriorityRules {
    pub fn new(config: &PriorityConfig) -> PriorityRules {
        PriorityRules { config: config.clone() }
    }

    pub fn rank(&self, _post: &Post, relevant: bool, _entities: &[EntityMatch], sentiment: &Sentiment, complaint: &Complaint) -> (Priority, bool) {
        let mut score = 0u8;
        let mut reasons = Vec::new();
        if relevant && complaint.is_complaint {
            score = 50;
            reasons.push("complaint".to_string());
            if sentiment.compound < -0.5 {
                score += 20;
            }
        }
        let level = match score {
            80.. => PriorityLevel::P1,
            60.. => PriorityLevel::P2,
            40.. => PriorityLevel::P3,
            _ => PriorityLevel::P4,
        };
        let escalate = relevant && level <= self.config.escalate_at;
        (Priority { level, score, reasons }, escalate)
    }
}
