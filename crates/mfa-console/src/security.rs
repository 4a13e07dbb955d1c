//! What every response and every form post goes through, apart from the
//! wiring of `mfa`: a refusal of cross-site posts (a page of another site
//! cannot make a signed-in browser confirm, turn off or delete anything),
//! and the security headers (nothing cached, no script, no framing, no
//! referrer).

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::set_header::SetResponseHeaderLayer;

/// The content security policy: no script and nothing fetched; inline
/// styles (the page's `<style>`, the QR code's SVG), `data:` images, forms
/// posted to the console only, never in a frame.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The headers every response carries.
pub const HEADERS: [(HeaderName, &str); 4] = [
    (header::CACHE_CONTROL, "no-store"),
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
];

/// `router` with cross-site posts refused and [`HEADERS`] on every
/// response (the refusals included).
pub fn harden(router: Router) -> Router {
    let router = router.layer(middleware::from_fn(same_origin_posts));
    HEADERS.into_iter().fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ))
    })
}

/// Refuses (403, in words) a POST a browser says comes from another site:
/// its `Sec-Fetch-Site` is `cross-site` or `same-site`, or its `Origin` is
/// not this server's own (the scheme, and the host and port of `Host`;
/// `null` only with `Sec-Fetch-Site: same-origin`, as the browser sends
/// under `no-referrer`). A request with neither header (not from a
/// browser) passes.
async fn same_origin_posts(request: Request, next: Next) -> Response {
    if request.method() == Method::POST && from_elsewhere(request.headers()) {
        return (
            StatusCode::FORBIDDEN,
            "Refused: this form was sent from another site. \
             Open the console itself and send it from there.",
        )
            .into_response();
    }
    next.run(request).await
}

/// Whether the browser says the request comes from another site.
fn from_elsewhere(headers: &HeaderMap) -> bool {
    let site = headers.get("sec-fetch-site").map(HeaderValue::as_bytes);
    if matches!(site, Some(b"cross-site" | b"same-site")) {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    // Under `Referrer-Policy: no-referrer` a browser posts even the
    // console's own forms with `Origin: null`; `Sec-Fetch-Site`, which no
    // page can set, then says where the post comes from.
    if origin == "null" && site == Some(b"same-origin") {
        return false;
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin = origin.to_str().ok();
    let (Some(origin), Some(host)) = (origin, host) else {
        return true;
    };
    // The console speaks plain HTTP, or HTTPS behind a proxy that keeps
    // the `Host`: either scheme, the same host and port.
    let own = ["http://", "https://"].iter().any(|scheme| {
        origin
            .strip_prefix(scheme)
            .is_some_and(|rest| rest.eq_ignore_ascii_case(host))
    });
    !own
}
