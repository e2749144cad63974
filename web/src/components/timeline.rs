//! A report's timeline: every status reached, oldest first, with the time and any note
//! (why it waits, what was done). The newest step is marked current.

use rappu_shared::report::TimelineEntry;
use yew::prelude::*;

use crate::hooks::use_i18n;
use crate::i18n::{date_time, messages};

/// Props of [`Timeline`].
#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    /// The steps, oldest first.
    pub entries: Vec<TimelineEntry>,
}

/// The steps as an ordered list.
#[component]
pub fn Timeline(props: &TimelineProps) -> Html {
    let t = use_i18n().t;
    let last = props.entries.len().saturating_sub(1);
    html! {
        <ol class="timeline">
            { for props.entries.iter().enumerate().map(|(i, entry)| html! {
                <li data-status={messages::status(t, entry.status)} aria-current={(i == last).then_some("step")}>
                    <span class="timeline-status">{ messages::status(t, entry.status) }</span>
                    <span class="timeline-time">{ date_time(t, entry.at) }</span>
                    if let Some(note) = &entry.note {
                        <p class="timeline-note">{ note }</p>
                    }
                </li>
            }) }
        </ol>
    }
}
