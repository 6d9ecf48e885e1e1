//! The document store contract: one suite every [`DocumentStore`] must pass, so the
//! memory store and Redis behave the same (the memory store runs it in its unit tests,
//! the `tests` crate against a real redis-server).
//!
//! Each case asks `new_store` for a store with the limits it needs; every store it
//! returns must be empty (for Redis: a flushed database).
//!
//! Only `assert!`-family macros and what the crate already depends on, so the suite
//! can be public and called from other crates.

// Test code (compiled only for tests and the `test-support` feature): a failed step
// is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::sync::Arc;

use futures_util::future::join_all;
use shared_claims::unix_now;

use super::{Document, DocumentStore, StoreError, StoreLimits};

/// Runs every contract case in sequence; panics with the failed case's message.
pub async fn run_all<F, Fut>(new_store: F)
where
    F: Fn(StoreLimits) -> Fut,
    Fut: Future<Output = DocumentStore>,
{
    let limits = StoreLimits::default;
    keeps_documents_per_owner(&new_store(limits()).await).await;
    lists_oldest_first(&new_store(limits()).await).await;
    records_the_sub_under_the_owner_key(&new_store(limits()).await).await;
    owner_keys_never_collide(&new_store(limits()).await).await;
    bounds_each_owner(&new_store(StoreLimits { max_documents_per_owner: 2, ..limits() }).await).await;
    bounds_the_bytes_of_each_owner(&new_store(StoreLimits { max_bytes_per_owner: 100, ..limits() }).await).await;
    bounds_the_number_of_owners(&new_store(StoreLimits { max_owners: 2, ..limits() }).await).await;
    let one_small_owner = StoreLimits { max_owners: 1, max_bytes_per_owner: 10, ..limits() };
    a_refused_first_document_takes_no_owner_slot(&new_store(one_small_owner).await).await;
    concurrent_adds_keep_the_bounds(
        &new_store(StoreLimits { max_documents_per_owner: 5, max_owners: 3, ..limits() }).await,
    )
    .await;
}

async fn add(store: &DocumentStore, owner: &str, title: &str, content: &str) -> Result<Arc<Document>, StoreError> {
    store.add(owner, owner, title.into(), content.into()).await
}

async fn titles(store: &DocumentStore, owner: &str) -> Vec<String> {
    store.list(owner).await.unwrap().iter().map(|document| document.title.clone()).collect()
}

async fn keeps_documents_per_owner(store: &DocumentStore) {
    let before = unix_now();
    let a = add(store, "alice", "t", "c").await.unwrap();
    let after = unix_now();
    add(store, "bob", "u", "d").await.unwrap();
    assert_eq!(
        store.list("alice").await.unwrap(),
        std::slice::from_ref(&a),
        "the listing holds exactly what was added"
    );
    assert_eq!((a.owner.as_str(), a.title.as_str(), a.content.as_str()), ("alice", "t", "c"));
    assert!(a.id.len() == 32 && a.id.bytes().all(|b| b.is_ascii_hexdigit()), "{}", a.id);
    assert!(before <= a.created_at && a.created_at <= after, "{a:?}");
    assert_eq!(titles(store, "bob").await, ["u"]);
    assert!(store.list("carol").await.unwrap().is_empty());
}

async fn lists_oldest_first(store: &DocumentStore) {
    for title in ["1", "2", "3", "4"] {
        add(store, "alice", title, "").await.unwrap();
    }
    assert_eq!(titles(store, "alice").await, ["1", "2", "3", "4"]);
}

async fn records_the_sub_under_the_owner_key(store: &DocumentStore) {
    let document = store.add("user:alice", "alice", "t".into(), "c".into()).await.unwrap();
    assert_eq!(document.owner, "alice");
    assert_eq!(store.list("user:alice").await.unwrap(), [document]);
    assert!(store.list("client:alice").await.unwrap().is_empty());
    assert!(store.list("alice").await.unwrap().is_empty());
}

/// Owner keys come from token subjects, which users and operators choose: braces,
/// percent signs, colons and spaces must not make two owners share documents (nor
/// break out of a Redis hash tag).
async fn owner_keys_never_collide(store: &DocumentStore) {
    let owners = [
        "a{b}", "a%7Bb%7D", "a b", "a%20b", "x", "x:bytes", "x}:bytes", "owners", "{owners}", "", "é", "%C3%A9", "a\nb",
    ];
    for owner in owners {
        add(store, owner, owner, "").await.unwrap_or_else(|e| panic!("{owner:?}: {e}"));
    }
    for owner in owners {
        assert_eq!(titles(store, owner).await, [owner], "{owner:?} sees its own document only");
    }
}

async fn bounds_each_owner(store: &DocumentStore) {
    add(store, "alice", "1", "").await.unwrap();
    add(store, "alice", "2", "").await.unwrap();
    assert_eq!(add(store, "alice", "3", "").await, Err(StoreError::Full(2)));
    assert_eq!(titles(store, "alice").await, ["1", "2"]);
    assert!(add(store, "bob", "1", "").await.is_ok(), "the bound is per owner");
}

async fn bounds_the_bytes_of_each_owner(store: &DocumentStore) {
    add(store, "alice", "t", &"c".repeat(59)).await.unwrap(); // 60 bytes
    add(store, "alice", "tt", &"c".repeat(38)).await.unwrap(); // 100 bytes: exactly the budget
    assert_eq!(add(store, "alice", "t", "").await, Err(StoreError::OverBudget(100)));
    assert_eq!(store.list("alice").await.unwrap().len(), 2);
    assert!(add(store, "bob", "t", &"c".repeat(99)).await.is_ok(), "budgets are per owner");
    assert_eq!(add(store, "carol", "t", &"c".repeat(100)).await, Err(StoreError::OverBudget(100)));
    // Bytes, not characters: "é" is two.
    assert_eq!(add(store, "dave", "t", &"é".repeat(50)).await, Err(StoreError::OverBudget(100)));
}

async fn bounds_the_number_of_owners(store: &DocumentStore) {
    add(store, "alice", "t", "").await.unwrap();
    add(store, "bob", "t", "").await.unwrap();
    assert_eq!(add(store, "carol", "t", "").await, Err(StoreError::TooManyOwners(2)));
    assert!(store.list("carol").await.unwrap().is_empty());
    assert!(add(store, "alice", "again", "").await.is_ok(), "existing owners may still add");
}

async fn a_refused_first_document_takes_no_owner_slot(store: &DocumentStore) {
    assert_eq!(add(store, "alice", "t", &"c".repeat(20)).await, Err(StoreError::OverBudget(10)));
    assert!(add(store, "bob", "t", "").await.is_ok());
}

/// Many adds at once (pipelined on one connection for Redis) never exceed a bound:
/// checking and adding are one atomic step.
async fn concurrent_adds_keep_the_bounds(store: &DocumentStore) {
    let results = join_all((0..20).map(|i| store.add("alice", "alice", i.to_string(), String::new()))).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 5, "{results:?}");
    assert!(results.iter().all(|r| matches!(r, Ok(_) | Err(StoreError::Full(5)))), "{results:?}");
    assert_eq!(store.list("alice").await.unwrap().len(), 5);

    let owners: Vec<String> = (0..10).map(|i| format!("owner-{i}")).collect();
    let results = join_all(owners.iter().map(|owner| add(store, owner, "t", ""))).await;
    // alice is one of the three owners already.
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 2, "{results:?}");
    assert!(results.iter().all(|r| matches!(r, Ok(_) | Err(StoreError::TooManyOwners(3)))), "{results:?}");
}
