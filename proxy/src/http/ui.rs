//! The panel at `/ui/`: the files of `ui/dist`, embedded at build time.

use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS};
use http::{HeaderValue, StatusCode};

/// The panel holds the master key: no script but its own runs, no site frames it. It may talk
/// to any gateway (a deployed one included), so `connect-src` is open to http(s).
const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self' http: https:; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

mod assets {
    include!(concat!(env!("OUT_DIR"), "/ui_assets.rs"));
}

const NOT_BUILT: &str = "<!doctype html><html><head><meta charset=utf-8><title>Switchboard</title></head>\
<body style=\"font-family:system-ui;margin:3rem;max-width:40rem\"><h1 class=\"not-built\">The panel is not built</h1>\
<p>This gateway was compiled without <code>ui/dist</code>. Run <code>make ui</code> (or <code>npm ci &amp;&amp; npm run build</code> \
in <code>ui/</code>) and rebuild the gateway. The API works without it.</p></body></html>";

pub async fn root() -> Redirect {
    Redirect::temporary("/ui/")
}

pub async fn index() -> Response {
    asset("index.html")
}

pub async fn file(Path(path): Path<String>) -> Response {
    asset(&path)
}

fn asset(path: &str) -> Response {
    let mut response = asset_response(path);
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

fn asset_response(path: &str) -> Response {
    if assets::ASSETS.is_empty() {
        return ([(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))], NOT_BUILT).into_response();
    }
    // Unknown paths get the app itself (client-side routes).
    let (name, bytes) = assets::ASSETS
        .iter()
        .find(|(name, _)| *name == path)
        .or_else(|| assets::ASSETS.iter().find(|(name, _)| *name == "index.html"))
        .map(|(n, b)| (*n, *b))
        .unwrap_or(("index.html", NOT_BUILT.as_bytes()));
    let cache = if name.starts_with("assets/") {
        // Vite puts a content hash in these names.
        HeaderValue::from_static("public, max-age=31536000, immutable")
    } else {
        HeaderValue::from_static("no-cache")
    };
    (StatusCode::OK, [(CONTENT_TYPE, content_type(name)), (CACHE_CONTROL, cache)], bytes).into_response()
}

fn content_type(name: &str) -> HeaderValue {
    let ext = name.rsplit('.').next().unwrap_or("");
    HeaderValue::from_static(match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" => "application/json",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    })
}
