//! The web front ends, embedded in the binary (`include_str!`): the widget bundle, the agent
//! console and a demo customer site. Pages carry a strict Content-Security-Policy (no inline
//! scripts or styles: JS and CSS are separate files) and `nosniff`.

use actix_web::HttpResponse;
use actix_web::http::header;

const WIDGET_JS: &str = include_str!("../../web/widget/widget.js");
const CONSOLE_HTML: &str = include_str!("../../web/console/index.html");
const CONSOLE_JS: &str = include_str!("../../web/console/app.js");
const CONSOLE_REVIEW_JS: &str = include_str!("../../web/console/review.js");
const CONSOLE_CSS: &str = include_str!("../../web/console/app.css");
const DEMO_HTML: &str = include_str!("../../web/demo/index.html");

const CSP: &str = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
/// Pages and assets may be cached briefly: a new release shows up within minutes.
const CACHE: &str = "public, max-age=300";

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::CACHE_CONTROL, CACHE))
        .body(body)
}

pub async fn widget_js() -> HttpResponse {
    asset("application/javascript; charset=utf-8", WIDGET_JS)
}

pub async fn console_html() -> HttpResponse {
    asset("text/html; charset=utf-8", CONSOLE_HTML)
}

pub async fn console_js() -> HttpResponse {
    asset("application/javascript; charset=utf-8", CONSOLE_JS)
}

pub async fn console_review_js() -> HttpResponse {
    asset("application/javascript; charset=utf-8", CONSOLE_REVIEW_JS)
}

pub async fn console_css() -> HttpResponse {
    asset("text/css; charset=utf-8", CONSOLE_CSS)
}

pub async fn demo_html() -> HttpResponse {
    asset("text/html; charset=utf-8", DEMO_HTML)
}
