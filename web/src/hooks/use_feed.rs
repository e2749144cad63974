//! `use_feed`: the display's feed, kept current by [`FeedMachine`] over the browser's
//! `EventSource`, `fetch`, a one-second timer and `localStorage`.
//!
//! The last feed is kept in `localStorage` (`rappu.display.feed`, with its ETag): it is
//! what the screen shows to everyone in the stairwell anyway, never a credential, and it
//! lets a display that reloads while the network is down show the building at once. It is
//! dropped when the display loses its session.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use gloo_timers::callback::Interval;
use rappu_shared::display::{DisplayFeed, FeedChanged};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use web_sys::{EventSource, MessageEvent};
use yew::prelude::*;

use super::feed_machine::{Command, FeedMachine, FeedView, Input};
use crate::api::{self, EVENTS_PATH};
use crate::storage;

/// Where the last feed is kept.
pub const STORAGE_KEY: &str = "rappu.display.feed";

/// What is kept between page loads.
#[derive(Deserialize)]
struct Kept {
    etag: Option<String>,
    feed: DisplayFeed,
}

fn load_kept() -> Option<(DisplayFeed, Option<String>)> {
    let text = storage::get(STORAGE_KEY)?;
    let kept: Kept = serde_json::from_str(&text).ok()?;
    Some((kept.feed, kept.etag))
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// An open stream with its listeners (dropping it removes them and closes the stream).
struct OpenStream {
    source: EventSource,
    _listeners: [EventListener; 3],
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.source.close();
    }
}

/// The machine and the browser resources it drives; lives as long as the page.
struct FeedRuntime {
    machine: RefCell<FeedMachine>,
    stream: RefCell<Option<OpenStream>>,
    timer: RefCell<Option<Interval>>,
    set_view: UseStateSetter<FeedView>,
}

impl FeedRuntime {
    fn dispatch(self: &Rc<Self>, input: Input) {
        let (commands, view) = {
            let mut machine = self.machine.borrow_mut();
            let commands = machine.handle(input, now());
            (commands, machine.view())
        };
        self.set_view.set(view);
        for command in commands {
            self.run(command);
        }
    }

    fn run(self: &Rc<Self>, command: Command) {
        match command {
            Command::Fetch { if_none_match } => {
                let me = Rc::downgrade(self);
                yew::platform::spawn_local(async move {
                    let result = api::fetch_feed(if_none_match.as_deref()).await;
                    if let Some(me) = me.upgrade() {
                        me.dispatch(Input::Fetched(result));
                    }
                });
            }
            Command::OpenStream => {
                // Drop (close) the old stream first.
                self.stream.replace(None);
                let opened = open_stream(Rc::downgrade(self));
                self.stream.replace(opened);
                if self.stream.borrow().is_none() {
                    self.dispatch(Input::StreamFailed { closed: true });
                }
            }
            Command::CloseStream => {
                self.stream.replace(None);
            }
            Command::Store => {
                let machine = self.machine.borrow();
                if let Some((feed, etag)) = machine.current() {
                    let kept = serde_json::to_string(&KeptRef { etag, feed });
                    if let Ok(text) = kept {
                        storage::set(STORAGE_KEY, &text);
                    }
                }
            }
            Command::ForgetStored => storage::remove(STORAGE_KEY),
        }
    }

    fn stop(&self) {
        self.timer.replace(None);
        self.stream.replace(None);
    }
}

/// [`Kept`] by reference, to store without cloning the feed.
#[derive(Serialize)]
struct KeptRef<'a> {
    etag: Option<&'a str>,
    feed: &'a DisplayFeed,
}

/// Opens the event stream; its events go to the runtime while it lives.
fn open_stream(runtime: Weak<FeedRuntime>) -> Option<OpenStream> {
    let source = EventSource::new(EVENTS_PATH).ok()?;
    let on = |name: &'static str, source: &EventSource| {
        let runtime = runtime.clone();
        let target = source.clone();
        EventListener::new(source, name, move |event| {
            let Some(runtime) = runtime.upgrade() else {
                return;
            };
            let input = match name {
                "open" => Input::StreamOpened,
                "error" => Input::StreamFailed {
                    closed: target.ready_state() == EventSource::CLOSED,
                },
                _ => {
                    let Some(data) = event
                        .dyn_ref::<MessageEvent>()
                        .and_then(|m| m.data().as_string())
                    else {
                        return;
                    };
                    match serde_json::from_str::<FeedChanged>(&data) {
                        Ok(changed) => Input::Announced { etag: changed.etag },
                        Err(_) => return,
                    }
                }
            };
            runtime.dispatch(input);
        })
    };
    let listeners = [
        on("open", &source),
        on("error", &source),
        on("feed", &source),
    ];
    Some(OpenStream {
        source,
        _listeners: listeners,
    })
}

/// The display's feed and connection state, kept current for as long as the component
/// using it is mounted, and a callback that makes it look again at once (after pairing).
#[hook]
pub fn use_feed() -> (FeedView, Callback<()>) {
    let view = use_state(FeedView::default);
    let setter = view.setter();
    let current = use_mut_ref(|| None::<Weak<FeedRuntime>>);
    let restart = {
        let current = current.clone();
        use_callback((), move |(), ()| {
            if let Some(runtime) = current.borrow().as_ref().and_then(Weak::upgrade) {
                runtime.dispatch(Input::Restart);
            }
        })
    };
    use_effect_with((), move |()| {
        let runtime = Rc::new(FeedRuntime {
            machine: RefCell::new(FeedMachine::new(load_kept())),
            stream: RefCell::new(None),
            timer: RefCell::new(None),
            set_view: setter,
        });
        let weak = Rc::downgrade(&runtime);
        current.replace(Some(weak.clone()));
        runtime.timer.replace(Some(Interval::new(1_000, move || {
            if let Some(runtime) = weak.upgrade() {
                runtime.dispatch(Input::Tick);
            }
        })));
        runtime.dispatch(Input::Started);
        move || runtime.stop()
    });
    ((*view).clone(), restart)
}
