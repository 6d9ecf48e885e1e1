//! Reading users: one by name, or all of them in pages.
//!
//! A page holds at most `limit` users (1 to [`MAX_PAGE_SIZE`], default
//! [`DEFAULT_PAGE_SIZE`]) and may hold fewer, even none, before the last one: the caller
//! follows `next_cursor` until it is `null`. The cursor is opaque (base64url of the
//! store's own position); every user present for the whole walk is listed, users
//! created or deleted meanwhile may or may not be, in an order of the store's choosing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::find_user;
use super::users::UserView;
use super::AdminError;
use crate::oauth::authority::Authority;

pub(crate) const DEFAULT_PAGE_SIZE: usize = 100;
pub(crate) const MAX_PAGE_SIZE: usize = 500;

/// The query of `GET /admin/users`, as given (validated by [`list_users`]).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserListQuery {
    #[serde(default)]
    pub limit: Option<String>,
    #[serde(default)]
    pub cursor: Option<String>,
}

/// One page of `GET /admin/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub(crate) struct UserList {
    pub users: Vec<UserView>,
    /// Where the next page starts; `null` after the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

pub(crate) async fn list_users(authority: &Authority, query: &UserListQuery) -> Result<UserList, AdminError> {
    let limit = parse_limit(query.limit.as_deref())?;
    let position = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let page = authority.store.users_page(position.as_deref(), limit).await?.ok_or_else(invalid_cursor)?;
    Ok(UserList {
        users: page.users.iter().map(UserView::from).collect(),
        next_cursor: page.next.map(|next| URL_SAFE_NO_PAD.encode(next)),
    })
}

/// The user of that name, without its password hash; 404 if there is none.
pub(crate) async fn show_user(authority: &Authority, username: &str) -> Result<UserView, AdminError> {
    find_user(authority, username).await.map(|user| UserView::from(&user))
}

fn parse_limit(limit: Option<&str>) -> Result<usize, AdminError> {
    let Some(limit) = limit else { return Ok(DEFAULT_PAGE_SIZE) };
    match limit.parse::<usize>() {
        Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => Ok(n),
        _ => Err(AdminError::invalid(format!("limit must be a whole number from 1 to {MAX_PAGE_SIZE}"))),
    }
}

fn decode_cursor(cursor: &str) -> Result<String, AdminError> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid_cursor())?;
    String::from_utf8(bytes).map_err(|_| invalid_cursor())
}

fn invalid_cursor() -> AdminError {
    AdminError::invalid("cursor is not a next_cursor this endpoint returned")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_whole_numbers_in_range() {
        assert_eq!(parse_limit(None).unwrap(), DEFAULT_PAGE_SIZE);
        assert_eq!(parse_limit(Some("1")).unwrap(), 1);
        assert_eq!(parse_limit(Some("500")).unwrap(), 500);
        for bad in ["0", "501", "-1", "", "ten", "1.5", " 5", "99999999999999999999999"] {
            let err = parse_limit(Some(bad)).unwrap_err();
            assert_eq!((err.status(), err.code()), (400, "invalid_request"), "{bad:?}");
        }
    }

    #[test]
    fn cursors_are_base64url() {
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("12 as:{u:a}")).unwrap(), "12 as:{u:a}");
        for bad in ["!!", "a=", "/+", &URL_SAFE_NO_PAD.encode([0xff, 0xfe])] {
            assert_eq!(decode_cursor(bad).unwrap_err().status(), 400, "{bad:?}");
        }
    }
}
