//! `GET /api/openapi.json`: the OpenAPI 3.1 document of this API, kept beside the code in
//! `openapi.json` and bundled into the binary. A test checks that it names every route
//! the router serves, and no other.

use std::sync::Arc;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use super::auth::{AnyRole, Caller};
use super::error::{ApiQuery, NoParams};
use super::ApiState;

pub const DOCUMENT: &str = include_str!("openapi.json");

pub fn routes() -> Router<Arc<ApiState>> {
    Router::new().route("/api/openapi.json", get(document))
}

async fn document(_caller: Caller<AnyRole>, _params: ApiQuery<NoParams>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}

#[cfg(test)]
mod tests {
    #[test]
    fn document_is_valid_json_with_paths() {
        let doc: serde_json::Value = serde_json::from_str(super::DOCUMENT).expect("openapi.json is JSON");
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["paths"].as_object().unwrap().len() >= 12);
    }
}
