//! Sandbox side of the open web: the world's pages served to the crawler through the proxy (RFC 9110 §7.1 absolute-form requests).

use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use url::Url;

use crate::scenario::World;

/// Serves `uri` (absolute-form, as a client sends it to a proxy) from the world's pages:
/// a known URL is 200, another URL on a host that has pages is 404, any other host is a 502 that says it does not resolve.
pub fn serve_page(world: &World, uri: &Uri) -> Response {
    let Some(wanted) = parse(&uri.to_string()) else {
        return (StatusCode::BAD_REQUEST, "the proxy needs an absolute http:// URL").into_response();
    };
    let pages = world.web.as_ref().map(|web| &web.pages);
    let mut host_known = false;
    for (raw, body) in pages.into_iter().flatten() {
        let Some(page) = parse(raw) else { continue };
        if !same_host(&page, &wanted) {
            continue;
        }
        host_known = true;
        if page.scheme() == wanted.scheme()
            && page.port_or_known_default() == wanted.port_or_known_default()
            && page.path() == wanted.path()
            && page.query() == wanted.query()
        {
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, content_type(&page, body))],
                body.clone(),
            )
                .into_response();
        }
    }
    let host = wanted.host_str().unwrap_or_default().to_string();
    if host_known {
        (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<!doctype html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>",
        )
            .into_response()
    } else {
        // What a forwarding proxy answers when the origin's name does not resolve.
        (
            StatusCode::BAD_GATEWAY,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("502 Bad Gateway: DNS lookup failed, the host {host} does not resolve"),
        )
            .into_response()
    }
}

/// A page URL with the fragment dropped; `http://host` and `http://host/` parse alike.
fn parse(raw: &str) -> Option<Url> {
    let mut url = Url::parse(raw.trim()).ok()?;
    url.set_fragment(None);
    url.host_str()?;
    Some(url)
}

/// Hosts compare by name only: a host that serves pages over https still resolves for an http request.
fn same_host(a: &Url, b: &Url) -> bool {
    a.host_str().map(str::to_lowercase) == b.host_str().map(str::to_lowercase)
}

/// The media type a real server would send: robots.txt and other `.txt` as plain text, markup as HTML.
fn content_type(url: &Url, body: &str) -> &'static str {
    let path = url.path().to_lowercase();
    if path.ends_with(".txt") {
        "text/plain; charset=utf-8"
    } else if path.ends_with(".json") {
        "application/json"
    } else if path.ends_with(".xml") {
        "application/xml"
    } else if path.ends_with(".pdf") {
        "application/pdf"
    } else if body.trim_start().starts_with('<') || body.trim().is_empty() {
        "text/html; charset=utf-8"
    } else {
        "text/plain; charset=utf-8"
    }
}
