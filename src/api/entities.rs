//! `GET /api/entities`: the hospitals, clinicians and departments hearken listens for (the
//! entities file), for the dashboard's pickers and for API clients.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::auth::{Caller, Readers};
use super::error::{ApiQuery, NoParams};
use super::ApiState;
use crate::core::EntitiesFile;

pub fn routes() -> Router<Arc<ApiState>> {
    Router::new().route("/api/entities", get(list))
}

#[derive(Debug, Clone, Serialize)]
pub struct EntityView {
    pub kind: &'static str,
    pub id: String,
    pub name: String,
    /// The hospital a clinician works at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hospital: Option<String>,
    pub aliases: Vec<String>,
}

/// Every entity of the file, hospitals first.
pub fn views(file: &EntitiesFile) -> Vec<EntityView> {
    let mut out = Vec::new();
    for h in &file.hospital {
        out.push(EntityView { kind: "hospital", id: h.id.clone(), name: h.name.clone(), hospital: None, aliases: h.aliases.clone() });
    }
    for c in &file.clinician {
        out.push(EntityView { kind: "clinician", id: c.id.clone(), name: c.name.clone(), hospital: c.hospital.clone(), aliases: c.aliases.clone() });
    }
    for d in &file.department {
        let name = d.name.clone().unwrap_or_else(|| d.id.clone());
        out.push(EntityView { kind: "department", id: d.id.clone(), name, hospital: None, aliases: d.aliases.clone() });
    }
    out
}

async fn list(_caller: Caller<Readers>, State(state): State<Arc<ApiState>>, _params: ApiQuery<NoParams>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "entities": state.entities }))
}
