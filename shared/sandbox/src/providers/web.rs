//! Sandbox side of the open web: the world's pages served to the crawler through the proxy (RFC 9110 §7.1 absolute-form requests).

use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use url::Url;

use crate::scenario::World;

/// Serves `uri` (absolute-form, as a client sends it to a proxy) from the world's pages:
/// a known URL is 200, another URL on a host that has pages is 404, any other host is a 502 that says it does not resolve.
///
/// TLS offload: a client that leaves TLS to the proxy sends `GET http://host/path` with `X-Forwarded-Proto: https`,
/// and is answered with the page `https://host/path` (the header names the scheme looked up; without it, or with a
/// value other than `http`/`https`, the request's own scheme is).
pub fn serve_page(world: &World, uri: &Uri, headers: &HeaderMap) -> Response {
    let Some(mut wanted) = parse(&uri.to_string()) else {
        return (StatusCode::BAD_REQUEST, "the proxy needs an absolute http:// URL").into_response();
    };
    if let Some(scheme) = forwarded_proto(headers)
        && scheme != wanted.scheme()
        && wanted.set_scheme(scheme).is_err()
    {
        return (
            StatusCode::BAD_REQUEST,
            "X-Forwarded-Proto names a scheme the URL cannot take",
        )
            .into_response();
    }
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

/// The scheme an `X-Forwarded-Proto` header asks for (its first value), when it is `http` or `https`.
fn forwarded_proto(headers: &HeaderMap) -> Option<&'static str> {
    let value = headers.get("x-forwarded-proto")?.to_str().ok()?;
    match value.split(',').next()?.trim().to_ascii_lowercase().as_str() {
        "https" => Some("https"),
        "http" => Some("http"),
        _ => None,
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use axum::http::HeaderValue;

    use super::*;
    use crate::scenario::WebWorld;

    fn world(pages: &[&str]) -> World {
        let pages: BTreeMap<String, String> = pages
            .iter()
            .map(|url| (url.to_string(), "<html><body>page</body></html>".to_string()))
            .collect();
        World {
            web: Some(WebWorld {
                pages,
                domains: BTreeMap::new(),
            }),
            ..World::default()
        }
    }

    fn status(world: &World, uri: &str, proto: Option<&str>) -> StatusCode {
        let mut headers = HeaderMap::new();
        if let Some(proto) = proto {
            headers.insert("x-forwarded-proto", HeaderValue::from_str(proto).expect("header value"));
        }
        serve_page(world, &uri.parse().expect("absolute URI"), &headers).status()
    }

    #[test]
    fn forwarded_proto_selects_the_https_page() {
        let world = world(&["https://tea.example", "https://tea.example/about"]);
        assert_eq!(status(&world, "http://tea.example/", Some("https")), StatusCode::OK);
        assert_eq!(status(&world, "http://tea.example", Some("HTTPS")), StatusCode::OK);
        assert_eq!(
            status(&world, "http://tea.example/about", Some("https, http")),
            StatusCode::OK
        );
        // The http page does not exist; the host does.
        assert_eq!(status(&world, "http://tea.example/", None), StatusCode::NOT_FOUND);
        assert_eq!(
            status(&world, "http://tea.example/", Some("http")),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            status(&world, "http://tea.example/nope", Some("https")),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            status(&world, "http://other.example/", Some("https")),
            StatusCode::BAD_GATEWAY
        );
    }

    #[test]
    fn without_the_header_the_request_scheme_is_looked_up() {
        let world = world(&["http://tea.example/"]);
        assert_eq!(status(&world, "http://tea.example/", None), StatusCode::OK);
        assert_eq!(status(&world, "http://tea.example/", Some("gopher")), StatusCode::OK);
        assert_eq!(
            status(&world, "http://tea.example/", Some("https")),
            StatusCode::NOT_FOUND
        );
    }
}
