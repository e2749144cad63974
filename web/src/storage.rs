//! `localStorage`, for preferences (the language) and the display's last feed, and
//! `sessionStorage` (this tab only) for the report form's draft: never a token or anything
//! else that grants access (sessions are HttpOnly cookies). Storage that is unavailable
//! (private mode, disabled) is treated as empty.

fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The value under `key`.
pub fn get(key: &str) -> Option<String> {
    local()?.get_item(key).ok().flatten()
}

/// Stores `value` under `key` (quietly does nothing when storage is full or off).
pub fn set(key: &str, value: &str) {
    if let Some(storage) = local() {
        let _ = storage.set_item(key, value);
    }
}

/// Removes `key`.
pub fn remove(key: &str) {
    if let Some(storage) = local() {
        let _ = storage.remove_item(key);
    }
}

fn session() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The value under `key` in this tab's storage.
pub fn session_get(key: &str) -> Option<String> {
    session()?.get_item(key).ok().flatten()
}

/// Stores `value` under `key` in this tab's storage; `false` when it did not fit (or
/// storage is off).
pub fn session_set(key: &str, value: &str) -> bool {
    session().is_some_and(|storage| storage.set_item(key, value).is_ok())
}

/// Removes `key` from this tab's storage.
pub fn session_remove(key: &str) {
    if let Some(storage) = session() {
        let _ = storage.remove_item(key);
    }
}
