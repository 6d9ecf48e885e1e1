//! The feed as a subscriber sees it: only what concerns the audiences it serves,
//! a paged snapshot, untrusted `Last-Event-ID`, the keep-alive it asks for, and the
//! cap on streams per client.

use std::time::Duration;

use actix_web::test::TestRequest;
use shared_claims::unix_now;

use super::{add_resource_client, basic, open_feed, read_until, TestServer};
use crate::store::Revocation;

fn aud(values: &[&str]) -> Vec<String> {
    values.iter().map(|a| a.to_string()).collect()
}

#[actix_web::test]
async fn a_subscriber_sees_only_what_concerns_the_audiences_it_serves() {
    let server = TestServer::new().await;
    add_resource_client(&server, "documents-api", &[], &[]).await;
    let authority = &server.authority;
    // The task that broadcasts live events, following the store from its head.
    let follower = tokio::spawn(authority.feed.clone().run());
    let until = unix_now() + 300;
    let token = |jti: &str| Revocation::Token { jti: jti.into() };
    authority.record_revocation_for(&token("jti-documents"), &aud(&["documents-api"]), until).await.unwrap();
    authority.record_revocation_for(&token("jti-billing"), &aud(&["billing-api"]), until).await.unwrap();
    let session = Revocation::Session { sid: "sid-billing".into() };
    authority.record_revocation_for(&session, &aud(&["billing-api"]), until).await.unwrap();
    let user = Revocation::User { sub: "user-everywhere".into(), before: unix_now() };
    authority.record_revocation(&user, until).await.unwrap();

    let response = open_feed(&server, "documents-api", "", None).await;
    assert_eq!(response.status(), 200);
    let mut body = response.into_body();
    let mut text = String::new();
    read_until(&mut body, &mut text, "event: snapshot-end").await;
    assert!(text.contains("event: snapshot-begin") && text.contains("event: snapshot-page"), "{text}");
    assert!(text.contains("jti-documents"), "{text}");
    assert!(text.contains("user-everywhere"), "user-level revocations go to every subscriber: {text}");
    assert!(!text.contains("billing"), "{text}");
    assert!(text.contains("data: {\"revocations\":2}"), "the end counts what was sent: {text}");

    // Live events are filtered the same way.
    authority.record_revocation_for(&token("live-billing"), &aud(&["billing-api"]), until).await.unwrap();
    authority.record_revocation_for(&token("live-documents"), &aud(&["documents-api", "x"]), until).await.unwrap();
    read_until(&mut body, &mut text, "live-documents").await;
    assert!(!text.contains("billing"), "{text}");
    follower.abort();
}

#[actix_web::test]
async fn an_untrusted_last_event_id_gets_a_snapshot() {
    let server = TestServer::new().await;
    add_resource_client(&server, "documents-api", &[], &[]).await;
    let head = server.authority.store.revocation_feed_head().await.unwrap();
    let (prefix, _) = head.rsplit_once('-').unwrap();
    for cursor in [format!("{prefix}-{}", u64::MAX), format!("{prefix}-{}", "9".repeat(40)), "x".repeat(4000)] {
        let response = open_feed(&server, "documents-api", "", Some(&cursor)).await;
        assert_eq!(response.status(), 200, "{cursor}");
        let mut text = String::new();
        read_until(&mut response.into_body(), &mut text, "event: snapshot-end").await;
    }
}

#[actix_web::test]
async fn the_keepalive_follows_the_request_within_bounds() {
    let server = TestServer::new().await;
    add_resource_client(&server, "documents-api", &[], &[]).await;
    let response = open_feed(&server, "documents-api", "?keepalive=1", None).await;
    let mut text = String::new();
    let mut body = response.into_body();
    read_until(&mut body, &mut text, ": keepalive").await;
    // The first keepalive ends the catch-up; the period shows between it and the next.
    let started = tokio::time::Instant::now();
    text.clear();
    read_until(&mut body, &mut text, ": keepalive").await;
    // The default (5 s) is far off: a keepalive within 4 s is the one asked for.
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());

    let bad = TestRequest::get().uri("/oauth2/revocations?keepalive=soon").insert_header(basic("documents-api"));
    let reply = server.send(bad).await;
    assert_eq!(reply.status, 400, "{reply:?}");
    assert_eq!(reply.str("error"), "invalid_request");
}

/// A reader that was cut off learns that its view is current again from the
/// keepalive that follows the catch-up at once, not one period later.
#[actix_web::test]
async fn a_keepalive_follows_the_catch_up_at_once() {
    let server = TestServer::new().await;
    add_resource_client(&server, "documents-api", &[], &[]).await;
    // A 30 s period; `read_until` gives up after 10 s.
    let response = open_feed(&server, "documents-api", "?keepalive=30", None).await;
    let mut text = String::new();
    read_until(&mut response.into_body(), &mut text, ": keepalive").await;
    let end = text.find("event: snapshot-end").unwrap_or_else(|| panic!("the snapshot first: {text}"));
    assert!(end < text.find(": keepalive").unwrap_or_default(), "{text}");
}

#[actix_web::test]
async fn streams_per_client_are_capped() {
    let server = TestServer::new().await;
    add_resource_client(&server, "documents-api", &[], &[]).await;
    add_resource_client(&server, "billing", &[], &[]).await;
    server.authority.feed.streams.set_max_per_client(2);
    let first = open_feed(&server, "documents-api", "", None).await;
    let second = open_feed(&server, "documents-api", "", None).await;
    assert_eq!((first.status().as_u16(), second.status().as_u16()), (200, 200));

    let refused = TestRequest::get().uri("/oauth2/revocations").insert_header(basic("documents-api"));
    let reply = server.send(refused).await;
    assert_eq!(reply.status, 503, "{reply:?}");
    assert!(reply.header("retry-after").is_some(), "{reply:?}");
    assert_eq!(reply.str("error"), "temporarily_unavailable");
    assert_eq!(open_feed(&server, "billing", "", None).await.status(), 200, "another client is not affected");

    // A closed stream gives its slot back.
    drop(first);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let again = open_feed(&server, "documents-api", "", None).await;
        if again.status() == 200 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the slot never came back");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
