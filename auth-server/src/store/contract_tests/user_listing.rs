//! Contract case for listing users in pages (`UserStore::users_page`).

use std::collections::HashMap;

use shared_claims::unix_now;

use super::{scopes, sessions, Run};
use crate::store::{Store, UserRecord};

/// The most pages a walk may take before the case calls it endless.
const MAX_PAGES: usize = 10_000;

/// Every user present for the whole walk comes back, whatever the page size, with
/// its record; no page is larger than asked; a user's other keys (its session
/// indexes) are never taken for users; a cursor the store never wrote is refused.
pub(super) async fn pages_through_every_user<S: Store + ?Sized>(store: &S, run: &Run) {
    let ours: Vec<UserRecord> = (0..7)
        .map(|i| UserRecord {
            username: run.id(&format!("listed-{i} }}:sessions")),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            scopes: scopes("documents:read"),
            disabled: i % 2 == 0,
            tokens_valid_after: i,
        })
        .collect();
    for user in &ours {
        assert!(store.insert_user(user).await.expect("insert"));
    }
    // Session indexes beside one user's record.
    let session = sessions::session(run, "listed-session", &ours[0].username, unix_now());
    store.create_session(&session, usize::MAX).await.expect("create session");

    for limit in [1, 2, 3, 100] {
        let listed = walk(store, limit).await;
        for user in &ours {
            assert_eq!(listed.get(&user.username), Some(user), "limit {limit}: {:?} listed as it is", user.username);
        }
        assert!(listed.keys().all(|name| !name.is_empty()), "limit {limit}");
    }

    assert_eq!(store.users_page(Some(""), 10).await.expect("users_page"), None, "an empty cursor is refused");
    store.delete_session(&session.sid).await.expect("delete session");
    for user in &ours {
        assert!(store.delete_user(&user.username).await.expect("delete"));
    }
    let listed = walk(store, 100).await;
    assert!(ours.iter().all(|user| !listed.contains_key(&user.username)), "deleted users are not listed");
}

/// Every user of a whole walk in pages of `limit`, by name.
async fn walk<S: Store + ?Sized>(store: &S, limit: usize) -> HashMap<String, UserRecord> {
    let mut listed = HashMap::new();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = store
            .users_page(cursor.as_deref(), limit)
            .await
            .expect("users_page")
            .unwrap_or_else(|| panic!("the store refused its own cursor {cursor:?}"));
        assert!(page.users.len() <= limit, "a page of {} users for limit {limit}", page.users.len());
        for user in page.users {
            listed.insert(user.username.clone(), user);
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => return listed,
        }
    }
    panic!("the listing did not end within {MAX_PAGES} pages of {limit}");
}
