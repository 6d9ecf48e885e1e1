//! The documents portal: a backend-for-frontend ("OAuth 2.0 for Browser-Based
//! Applications", BFF pattern). It signs users in with the authorization code flow and
//! PKCE as a confidential client, keeps the access and refresh tokens server-side, and
//! gives its one-page UI an `/api/...` that forwards to the documents API with the
//! bearer token. The browser only ever holds an opaque session id in an `HttpOnly`,
//! `SameSite=Strict` cookie.

// Request paths must not panic on input, and no lock may be held across an await.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![deny(clippy::await_holding_lock)]

pub mod app;
mod cookies;
mod csrf;
mod limited_body;
mod login_ticket;
mod provider;
mod routes;
mod session;
mod session_store;
pub mod settings;
