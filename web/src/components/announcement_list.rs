//! Announcements on the display, a few at a time: when there are more than fit, the parent's
//! timer turns to the next few.

use rappu_shared::display::FeedAnnouncement;
use yew::prelude::*;

use crate::hooks::use_i18n;

/// How many announcements show at once.
const AT_ONCE: usize = 3;

/// Props of [`AnnouncementList`].
#[derive(Properties, PartialEq)]
pub struct AnnouncementListProps {
    /// Announcements valid now, newest first.
    pub announcements: Vec<FeedAnnouncement>,
    /// The parent's page timer.
    pub tick: u32,
}

/// A heading and the current few announcements.
#[component]
pub fn AnnouncementList(props: &AnnouncementListProps) -> Html {
    let t = use_i18n().t;
    if props.announcements.is_empty() {
        return html! {};
    }
    let groups: Vec<&[FeedAnnouncement]> = props.announcements.chunks(AT_ONCE).collect();
    let current = usize::try_from(props.tick).unwrap_or(0) % groups.len();
    html! {
        <section class="announcements" aria-labelledby="announcements-title">
            <h2 id="announcements-title">{ t.display_announcements }</h2>
            <ul>
                { for groups[current].iter().map(|a| html! {
                    <li key={a.id.to_string()}>
                        <h3>{ &a.title }</h3>
                        <p>{ &a.body }</p>
                    </li>
                }) }
            </ul>
        </section>
    }
}
