//! Rules for identifiers that users and operators choose.

/// Client ids: printable ASCII without spaces or `:` (which would break Basic
/// authentication for clients that do not form-encode), 1 to 128 characters.
pub fn check_client_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic() && b != b':');
    if ok {
        Ok(())
    } else {
        const RULE: &str = "must be 1 to 128 printable ASCII characters without spaces or ':'";
        // An over-long id is not echoed: the error stays small whatever the input.
        if id.len() > 128 {
            Err(format!("client_id {RULE}"))
        } else {
            Err(format!("client_id {id:?} {RULE}"))
        }
    }
}

/// The longest username, in bytes.
pub const MAX_USERNAME_BYTES: usize = 255;

/// Usernames: 1 to 255 bytes, no control characters.
pub fn check_username(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_USERNAME_BYTES || name.chars().any(char::is_control) {
        Err("username must be 1 to 255 bytes without control characters".into())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_follow_the_rule_and_errors_stay_small() {
        assert!(check_client_id("documents-api").is_ok());
        assert!(check_client_id(&"a".repeat(128)).is_ok());
        let short = check_client_id("has space").unwrap_err();
        assert!(short.contains("\"has space\""), "a short id is named: {short}");
        let long = check_client_id(&"x".repeat(100_000)).unwrap_err();
        assert!(long.len() < 100, "an over-long id is not echoed: {} bytes", long.len());
        assert!(check_client_id("").is_err() && check_client_id("a:b").is_err());
    }

    #[test]
    fn usernames_are_bounded_in_bytes() {
        assert!(check_username(&"é".repeat(127)).is_ok(), "254 bytes");
        assert!(check_username(&"é".repeat(128)).is_err(), "256 bytes");
        assert!(check_username("a\nb").is_err() && check_username("").is_err());
    }
}
