//! `localStorage`, for preferences (the language) and the display's last feed only: never a
//! token or anything else that grants access (sessions are HttpOnly cookies). Storage that
//! is unavailable (private mode, disabled) is treated as empty.

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
