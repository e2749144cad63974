//! The display's contacts: the maintenance company (its phone biggest: doors and faults),
//! the property manager, the chair of the board.

use rappu_shared::display::{FeedContact, FeedContacts};
use yew::prelude::*;

use crate::hooks::use_i18n;

/// Props of [`ContactList`].
#[derive(Properties, PartialEq)]
pub struct ContactListProps {
    /// The contacts.
    pub contacts: FeedContacts,
}

fn contact(role: &'static str, class: &'static str, contact: Option<&FeedContact>) -> Html {
    let Some(contact) = contact else {
        return html! {};
    };
    html! {
        <div class={classes!("contact", class)}>
            <dt>{ role }</dt>
            <dd>
                <span class="contact-name">{ &contact.name }</span>
                if let Some(phone) = &contact.phone {
                    <span class="contact-phone">{ phone }</span>
                }
                if let Some(email) = &contact.email {
                    <span class="contact-email">{ email }</span>
                }
            </dd>
        </div>
    }
}

/// The contacts as a description list.
#[component]
pub fn ContactList(props: &ContactListProps) -> Html {
    let t = use_i18n().t;
    let c = &props.contacts;
    html! {
        <section class="contacts" aria-labelledby="contacts-title">
            <h2 id="contacts-title" class="visually-hidden">{ t.display_contacts }</h2>
            <dl>
                { contact(t.display_maintenance, "maintenance", c.maintenance.as_ref()) }
                { contact(t.display_manager, "manager", c.manager.as_ref()) }
                { contact(t.display_board_chair, "board-chair", c.board_chair.as_ref()) }
            </dl>
        </section>
    }
}
