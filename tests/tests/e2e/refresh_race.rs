//! Concurrent refreshes with one token: never two working, different sessions.

use futures_util::future::join_all;
use tests::bootstrap::*;
use tests::{AuthStack, OAuthClient, Reply, Store};

use crate::support::*;
use crate::token_refresh::login;

const RACERS: usize = 8;
const ROUNDS: usize = 5;

/// Fires `RACERS` refreshes with `token` at once.
async fn race(client: &OAuthClient, token: &str) -> Vec<Reply> {
    join_all((0..RACERS).map(|_| client.token_refresh(WEB_APP, token))).await
}

/// The refresh tokens the winners got; every loser must be a clean `invalid_grant`.
fn successors(replies: &[Reply]) -> Vec<String> {
    let mut successors = Vec::new();
    for reply in replies {
        match reply.status {
            200 => successors.push(reply.refresh_token().to_owned()),
            _ => assert_oauth_error(reply, 400, "invalid_grant"),
        }
    }
    successors
}

/// How many of `tokens` still refresh.
async fn live(client: &OAuthClient, tokens: &[String]) -> usize {
    let mut live = 0;
    for token in tokens {
        if client.token_refresh(WEB_APP, token).await.status == 200 {
            live += 1;
        }
    }
    live
}

on_three_stores! {
    /// Without a grace window exactly one racer wins (the store's rotation is atomic and
    /// the winner's answer is signed before it, so the losers' reuse revocation cannot
    /// take it back), and at most one successor lives.
    async fn concurrent_refreshes_yield_at_most_one_live_session(store: Store) {
        let stack = AuthStack::start(store).await;
        let client = stack.client();
        for round in 0..ROUNDS {
            let token = login(&client).await;
            let successors = successors(&race(&client, &token).await);
            assert_eq!(successors.len(), 1, "round {round}: exactly one racer wins");
            assert!(live(&client, &successors).await <= 1, "round {round}: two live successors");
        }
    }
}

on_three_stores! {
    /// Within a grace window every racer wins: one rotates, the others present the
    /// just-rotated token within the grace and get the same successor.
    async fn concurrent_refreshes_within_the_grace_share_one_successor(store: Store) {
        let stack = AuthStack::start_with(store, |o| o.env("AUTH_REFRESH_REUSE_GRACE", "30")).await;
        let client = stack.client();
        for round in 0..ROUNDS {
            let token = login(&client).await;
            let mut successors = successors(&race(&client, &token).await);
            assert_eq!(successors.len(), RACERS, "round {round}: every racer wins within the grace");
            successors.sort();
            successors.dedup();
            assert_eq!(successors.len(), 1, "round {round}: different successors {successors:?}");
            assert_eq!(live(&client, &successors).await, 1, "round {round}: the successor works");
        }
    }
}
