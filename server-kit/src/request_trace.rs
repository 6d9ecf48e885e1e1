//! One span and one access-log line per request, under a request id: the proxy's
//! `X-Request-Id` when the peer is a trusted proxy (a [`TrustedProxies`] registered as
//! app data), a fresh one otherwise. The id is echoed in the response, so a client's report, the proxy's
//! log and ours meet on it, and every line logged while the request runs carries it.
//!
//! Logged: method, route pattern (`/admin/users/{username}`, never the path's values),
//! status and latency. Never the query string or a header: they may carry tokens or
//! credentials.

use std::cell::RefCell;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use tracing::Instrument;

use crate::TrustedProxies;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest id taken from a proxy; longer ones are replaced.
const MAX_ID_LEN: usize = 128;

pub async fn trace(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = forwarded_id(&req).unwrap_or_else(fresh_id);
    let span = tracing::info_span!("request", request_id = %id, method = %req.method());
    let mut response = next.call(req).instrument(span.clone()).await?;
    let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| tracing::info!(route, status, latency_ms, "request"));
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(response)
}

/// The `X-Request-Id` a trusted proxy set: one header, 1 to 128 visible ASCII
/// characters. Anything else is not an id we repeat in our logs.
fn forwarded_id(req: &ServiceRequest) -> Option<String> {
    let peer = req.peer_addr()?.ip();
    let trusted = req.app_data::<web::Data<TrustedProxies>>()?;
    if !trusted.trusts_peer(peer) {
        return None;
    }
    let mut values = req.headers().get_all(REQUEST_ID);
    let (Some(value), None) = (values.next(), values.next()) else { return None };
    let value = value.to_str().ok()?;
    let usable = !value.is_empty() && value.len() <= MAX_ID_LEN && value.bytes().all(|b| b.is_ascii_graphic());
    usable.then(|| value.to_owned())
}

/// Bytes of one id.
const ID_BYTES: usize = 16;
/// Ids drawn from the random generator at once.
const IDS_PER_DRAW: usize = 64;

/// Random bytes for the next ids of this thread. One call into OpenSSL's generator
/// costs more than the rest of a request's id (a lookup of the thread's generator,
/// a fork check, a lock); drawn 64 ids at a time, it costs next to nothing. The
/// ids are not secrets, only unique.
struct IdDraw {
    bytes: [u8; ID_BYTES * IDS_PER_DRAW],
    used: usize,
}

thread_local! {
    static ID_DRAW: RefCell<IdDraw> =
        const { RefCell::new(IdDraw { bytes: [0; ID_BYTES * IDS_PER_DRAW], used: IDS_PER_DRAW }) };
}

/// 16 random bytes, base64url: unique enough to find one request in any log.
fn fresh_id() -> String {
    let mut id = [0u8; ID_BYTES];
    ID_DRAW.with_borrow_mut(|draw| {
        if draw.used == IDS_PER_DRAW {
            // Not a secret: should the system generator fail, zero ids still log.
            if openssl::rand::rand_bytes(&mut draw.bytes).is_err() {
                draw.bytes.fill(0);
            }
            draw.used = 0;
        }
        id.copy_from_slice(&draw.bytes[draw.used * ID_BYTES..][..ID_BYTES]);
        draw.used += 1;
    });
    URL_SAFE_NO_PAD.encode(id)
}

#[cfg(test)]
mod tests {
    use actix_web::middleware::from_fn;
    use actix_web::{test, App, HttpResponse};

    use super::*;

    /// The id the response carries for a request from `peer` with these `X-Request-Id`
    /// values, through a server that trusts 10.0.0.1 as a proxy.
    async fn answered_id(peer: &str, ids: &[&str]) -> String {
        let proxies: TrustedProxies = "10.0.0.1".parse().unwrap();
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(proxies))
                .wrap(from_fn(trace))
                .route("/ping", web::get().to(|| async { HttpResponse::NoContent().finish() })),
        )
        .await;
        let mut req = test::TestRequest::get().uri("/ping").peer_addr(format!("{peer}:4711").parse().unwrap());
        for id in ids {
            req = req.append_header((REQUEST_ID, *id));
        }
        let res = test::call_service(&app, req.to_request()).await;
        assert_eq!(res.status(), 204);
        res.headers().get(REQUEST_ID).expect("every answer carries a request id").to_str().unwrap().to_owned()
    }

    #[actix_web::test]
    async fn a_trusted_proxy_s_id_is_kept_and_echoed() {
        assert_eq!(answered_id("10.0.0.1", &["req-42"]).await, "req-42");
    }

    #[actix_web::test]
    async fn anyone_else_gets_a_fresh_id() {
        let fresh = answered_id("192.0.2.9", &["req-42"]).await;
        assert_ne!(fresh, "req-42", "an untrusted peer does not name our log lines");
        assert!(fresh.len() >= 16 && fresh.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_ne!(answered_id("192.0.2.9", &[]).await, fresh, "one id per request");
    }

    #[actix_web::test]
    async fn fresh_ids_stay_distinct_across_draws() {
        let ids: std::collections::HashSet<String> = (0..3 * IDS_PER_DRAW + 1).map(|_| fresh_id()).collect();
        assert_eq!(ids.len(), 3 * IDS_PER_DRAW + 1);
        assert!(ids.iter().all(|id| id.len() == 22));
    }

    #[actix_web::test]
    async fn unusable_ids_from_a_proxy_are_replaced() {
        let too_long = "x".repeat(MAX_ID_LEN + 1);
        for ids in [&["has space"][..], &[""], &[too_long.as_str()], &["a", "b"]] {
            let answered = answered_id("10.0.0.1", ids).await;
            assert!(!ids.contains(&answered.as_str()), "{ids:?} kept");
        }
    }
}
