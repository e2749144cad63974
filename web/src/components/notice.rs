//! A message box: an error (announced at once, `role="alert"`) or a success (announced
//! politely, `role="status"`).

use yew::prelude::*;

/// What kind of message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// Something failed.
    Error,
    /// Something worked.
    Success,
}

/// Props of [`Notice`].
#[derive(Properties, PartialEq)]
pub struct NoticeProps {
    /// The kind.
    pub kind: NoticeKind,
    /// The message.
    #[prop_or_default]
    pub children: Html,
}

/// The message in a box.
#[component]
pub fn Notice(props: &NoticeProps) -> Html {
    let (class, role) = match props.kind {
        NoticeKind::Error => ("notice-error", "alert"),
        NoticeKind::Success => ("notice-success", "status"),
    };
    html! {
        <div class={classes!("notice", class)} {role}>{ props.children.clone() }</div>
    }
}
