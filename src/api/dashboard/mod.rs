//! The dashboard: one page (alert queue, reputation, search) of plain HTML, CSS and
//! JavaScript bundled into the binary, so it works with no internet. The files hold no
//! data and need no token; the page asks for a token, keeps it in the tab's
//! sessionStorage and sends it with every API call.

use std::sync::Arc;

use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;

use super::ApiState;

const INDEX_HTML: &str = include_str!("index.html");
const APP_JS: &str = include_str!("app.js");
const CHARTS_JS: &str = include_str!("charts.js");
const APP_CSS: &str = include_str!("app.css");
const ICON_SVG: &str = include_str!("icon.svg");

pub fn routes() -> Router<Arc<ApiState>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/queue") }))
        .route("/queue", get(page))
        .route("/reputation", get(page))
        .route("/search", get(page))
        .route("/assets/app.js", get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }))
        .route("/assets/charts.js", get(|| async { asset("text/javascript; charset=utf-8", CHARTS_JS) }))
        .route("/assets/app.css", get(|| async { asset("text/css; charset=utf-8", APP_CSS) }))
        // Browsers ask for /favicon.ico whatever the page links; both get the same icon.
        .route("/assets/icon.svg", get(|| async { asset("image/svg+xml", ICON_SVG) }))
        .route("/favicon.ico", get(|| async { asset("image/svg+xml", ICON_SVG) }))
}

async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // Only this server's own scripts and styles; nothing from elsewhere.
            (header::CONTENT_SECURITY_POLICY, "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'"),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        INDEX_HTML,
    )
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], body)
}
