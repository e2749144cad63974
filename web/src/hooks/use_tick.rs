//! Timers as hooks: a counter that steps every period ([`use_tick`]), and one that also
//! steps when the resident comes back to the page ([`use_refresh`]).

use std::cell::Cell;
use std::rc::Rc;

use gloo_events::EventListener;
use gloo_timers::callback::Interval;
use yew::prelude::*;

/// A counter that steps every `period_ms` while the component is mounted.
#[hook]
pub fn use_tick(period_ms: u32) -> u32 {
    let tick = use_state(|| 0_u32);
    {
        let tick = tick.setter();
        use_effect_with(period_ms, move |&period| {
            let mut n = 0_u32;
            let interval = Interval::new(period, move || {
                n = n.wrapping_add(1);
                tick.set(n);
            });
            move || drop(interval)
        });
    }
    *tick
}

/// A counter that steps every `period_ms` and whenever the page becomes visible or the
/// window gets focus again: a dependency for data that should refresh by itself.
#[hook]
pub fn use_refresh(period_ms: u32) -> u32 {
    let count = use_state(|| 0_u32);
    {
        let setter = count.setter();
        use_effect_with(period_ms, move |&period| {
            let n = Rc::new(Cell::new(0_u32));
            let bump = move || {
                n.set(n.get().wrapping_add(1));
                setter.set(n.get());
            };
            let on_timer = bump.clone();
            let interval = Interval::new(period, on_timer);
            let listeners = web_sys::window().map(|window| {
                let on_focus = bump.clone();
                let focus = EventListener::new(&window, "focus", move |_| on_focus());
                let document = window.document();
                let visible = document.map(|document| {
                    let target = document.clone();
                    EventListener::new(&document, "visibilitychange", move |_| {
                        if !target.hidden() {
                            bump();
                        }
                    })
                });
                (focus, visible)
            });
            move || {
                drop(interval);
                drop(listeners);
            }
        });
    }
    *count
}
