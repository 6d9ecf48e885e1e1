//! Rules for identifiers that users and operators choose.

/// Client ids: printable ASCII without spaces or `:` (which would break Basic
/// authentication for clients that do not form-encode), 1 to 128 characters.
pub fn check_client_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic() && b != b':');
    if ok {
        Ok(())
    } else {
        Err(format!("client_id {id:?} must be 1 to 128 printable ASCII characters without spaces or ':'"))
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
