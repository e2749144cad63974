//! A report's status as a badge (text first; the colour only repeats it).

use rappu_shared::report::ReportStatus;
use yew::prelude::*;

use crate::hooks::use_i18n;
use crate::i18n::messages;

/// Props of [`StatusBadge`].
#[derive(Properties, PartialEq)]
pub struct StatusBadgeProps {
    /// The status.
    pub status: ReportStatus,
}

/// The class of a status (`status-received`).
fn status_class(status: ReportStatus) -> &'static str {
    match status {
        ReportStatus::Pending => "status-pending",
        ReportStatus::Open => "status-open",
        ReportStatus::Received => "status-received",
        ReportStatus::Waiting => "status-waiting",
        ReportStatus::Done => "status-done",
        ReportStatus::Completed => "status-completed",
        ReportStatus::Handled => "status-handled",
        ReportStatus::Failed => "status-failed",
        ReportStatus::Unknown => "status-unknown",
    }
}

/// The status in words.
#[component]
pub fn StatusBadge(props: &StatusBadgeProps) -> Html {
    let t = use_i18n().t;
    html! {
        <span class={classes!("status", status_class(props.status))}>
            { messages::status(t, props.status) }
        </span>
    }
}
