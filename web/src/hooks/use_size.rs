//! `use_size`: an element's size, kept current by a `ResizeObserver` (a rotation, a
//! resized window, or a neighbour that grew all reach it, unlike the window's `resize`).

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Element, ResizeObserver};
use yew::prelude::*;

/// The observer and its callback, released together.
struct Watch {
    observer: ResizeObserver,
    _callback: Closure<dyn FnMut()>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}

/// The element's inner size in CSS pixels (`clientWidth`, `clientHeight`); `(0, 0)` until
/// it is laid out.
#[hook]
pub fn use_size(node: NodeRef) -> (i32, i32) {
    let size = use_state_eq(|| (0, 0));
    {
        let size = size.clone();
        use_effect_with(node, move |node| {
            let watch = node.cast::<Element>().and_then(|element| {
                let target = element.clone();
                let callback = Closure::<dyn FnMut()>::new(move || {
                    size.set((target.client_width(), target.client_height()));
                });
                let observer = ResizeObserver::new(callback.as_ref().unchecked_ref()).ok()?;
                observer.observe(&element);
                Some(Watch {
                    observer,
                    _callback: callback,
                })
            });
            move || drop(watch)
        });
    }
    *size
}
