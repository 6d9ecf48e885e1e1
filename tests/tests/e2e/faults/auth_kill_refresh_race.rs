//! The auth server SIGKILLed in the middle of refresh races (Redis store, no grace
//! window): after the restart, no refresh token has yielded two successors, at most
//! one successor of a session works, and a racer cut off by the kill that retries
//! with its token either succeeds or meets reuse detection.
//!
//! ```text
//! ROUNDS times: SESSIONS logins ─► RACERS refreshes per session with its one token, at once
//!   first answer ─► SIGKILL the auth server (answered, lost and unsent racers)
//!   restart (behind the relay: the issuer stays) ─► every cut-off racer retries once
//!   per session: at most one 200 in all; each successor tried: at most one works
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use tests::bootstrap::*;
use tests::faults::StackProcess;
use tests::{AuthStack, OAuthClient, Reply, Store};
use tokio::sync::Notify;

use super::tally::answer;

const SESSIONS: usize = 4;
const RACERS: usize = 6;
const ROUNDS: usize = 3;
/// Generous: the first of the racers' answers.
const FIRST_ANSWER_DEADLINE: Duration = Duration::from_secs(30);

/// The answer, or `cut` for an exchange the kill broke.
fn outcome(result: &Result<Reply, String>) -> String {
    result.as_ref().map_or_else(|_| "cut".to_owned(), answer)
}

/// Fires `RACERS` refreshes for each token at once; kills the auth server as soon as
/// the first answer arrives; returns every racer's `(session, result)`.
async fn race_and_kill(
    stack: &mut AuthStack,
    client: &OAuthClient,
    tokens: &[String],
) -> Vec<(usize, Result<Reply, String>)> {
    let first_answer = Arc::new(Notify::new());
    let mut racers = Vec::new();
    for (session, token) in tokens.iter().enumerate() {
        for _ in 0..RACERS {
            let (client, token, first_answer) = (client.clone(), token.clone(), first_answer.clone());
            racers.push(tokio::spawn(async move {
                let result = client.try_token_refresh(WEB_APP, &token).await;
                first_answer.notify_one();
                (session, result)
            }));
        }
    }
    let answered = tokio::time::timeout(FIRST_ANSWER_DEADLINE, first_answer.notified()).await;
    assert!(answered.is_ok(), "no racer answered within {FIRST_ANSWER_DEADLINE:?}");
    stack.auth.kill();
    let mut results = Vec::new();
    for racer in racers {
        results.push(racer.await.expect("a racer"));
    }
    results
}

/// A cut-off racer's retry with its token: it succeeds (a successor) or meets reuse
/// detection, nothing else.
async fn retry(
    client: &OAuthClient,
    round: usize,
    token: &str,
    successors: &mut Vec<String>,
    counts: &mut BTreeMap<String, usize>,
) {
    let retry = client.token_refresh(WEB_APP, token).await;
    let answer = answer(&retry);
    *counts.entry(format!("retry {answer}")).or_default() += 1;
    match answer.as_str() {
        "200" => successors.push(retry.refresh_token().to_owned()),
        "400 invalid_grant" => {}
        _ => panic!("round {round}: a cut-off racer's retry neither succeeded nor met reuse detection: {retry:?}"),
    }
}

#[tokio::test]
async fn auth_server_killed_mid_refresh_race_leaves_at_most_one_successor() {
    let _alone = tests::heavy::exclusive().await;
    let mut stack = AuthStack::start_relayed(Store::Redis, |o| o).await;
    let client = stack.client();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut cut = 0;
    for round in 1..=ROUNDS {
        let mut tokens = Vec::new();
        for _ in 0..SESSIONS {
            tokens.push(client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await.refresh_token().to_owned());
        }
        let results = race_and_kill(&mut stack, &client, &tokens).await;
        stack.restart_auth().await;

        // Per session: the successors handed out, in answers and in retries.
        let mut successors: Vec<Vec<String>> = vec![Vec::new(); SESSIONS];
        let mut retries = Vec::new();
        for (session, result) in results {
            let answer = outcome(&result);
            *counts.entry(format!("race {answer}")).or_default() += 1;
            match result {
                Ok(reply) if reply.status == 200 => successors[session].push(reply.refresh_token().to_owned()),
                Ok(_) => assert_eq!(answer, "400 invalid_grant", "round {round}: a racer's answer"),
                // The client never heard back: it retries with the same token.
                Err(_) => retries.push(session),
            }
        }
        cut += retries.len();
        // Each cut-off racer retries once with its token, one per session first; then
        // the successors are tried, then the other racers retry.
        let mut retried = BTreeSet::new();
        let (first, rest): (Vec<usize>, Vec<usize>) = retries.into_iter().partition(|&s| retried.insert(s));
        for &session in &first {
            retry(&client, round, &tokens[session], &mut successors[session], &mut counts).await;
        }
        for (session, handed_out) in successors.iter().enumerate() {
            assert!(
                handed_out.len() <= 1,
                "round {round}, session {session}: {} successors handed out",
                handed_out.len()
            );
            let mut working = 0;
            for successor in handed_out {
                if client.token_refresh(WEB_APP, successor).await.status == 200 {
                    working += 1;
                }
            }
            *counts.entry(format!("sessions with {working} working successors")).or_default() += 1;
        }
        for session in rest {
            retry(&client, round, &tokens[session], &mut successors[session], &mut counts).await;
            assert!(successors[session].len() <= 1, "round {round}, session {session}: a second successor");
        }
    }
    eprintln!("faults::auth_kill_refresh_race: {ROUNDS} kills, {cut} racers cut off; outcomes {counts:?}");
    assert!(cut > 0, "the kills never caught a refresh in flight: {counts:?}");
}
