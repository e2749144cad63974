//! The display's service worker: `/sw.js` (written by `scripts/lib/package-web.mjs` with
//! the display program's asset list) keeps the app shell, so a screen that reloads, or
//! powers up, while the gateway is down still starts; the last board comes from
//! `localStorage` ([`crate::hooks::KEPT_FEED`]) and shows with the offline mark. Its scope
//! is `/display`: the portal is not affected.

/// Registers `/sw.js` for `/display...` (quietly nothing where service workers are off:
/// plain http on another host than localhost, or a browser without them).
pub fn register_service_worker() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let options = web_sys::RegistrationOptions::new();
    options.set_scope("/display");
    let promise = window
        .navigator()
        .service_worker()
        .register_with_options("/sw.js", &options);
    // A failed registration only means no offline start: nothing to tell the screen.
    yew::platform::spawn_local(async move {
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    });
}
