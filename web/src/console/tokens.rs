//! `/console/tokens`: tokens in force (never the tokens themselves), minting one with a role
//! and scope picker (shown once), revoking.

use rappu_shared::console::{MintedToken, NewToken, TokenInfo};
use rappu_shared::{Grant, Role};
use yew::prelude::*;

use super::displays::{input_value, number_value};
use super::texts::ConsoleTexts;
use super::{Load, RefreshButton, api, error_notice, use_load, use_texts};
use crate::api::ApiError;
use crate::components::{Notice, NoticeKind, use_title};
use crate::hooks::use_i18n;
use crate::i18n::date_time;

fn role_name(c: &ConsoleTexts, role: Role) -> &'static str {
    match role {
        Role::Display => c.role_display,
        Role::Resident => c.role_resident,
        Role::Partner => c.role_partner,
        Role::Admin => c.role_admin,
        Role::App => c.role_app,
    }
}

/// The scope of a grant, in words an operator reads.
fn scope(c: &ConsoleTexts, grant: &Grant) -> String {
    match grant {
        Grant::Display {
            building,
            staircase: Some(s),
        } => format!("{} {building}, {} {s}", c.col_building, c.col_staircase),
        Grant::Display { building, .. } => format!("{} {building}", c.col_building),
        Grant::Resident { party, apartment } => {
            format!(
                "{} {party}, {} {apartment}",
                c.field_party, c.field_apartment
            )
        }
        Grant::Partner { assignee } => format!("{} {assignee}", c.field_assignee),
        Grant::Admin => "–".into(),
        Grant::App { client_id, scope } => format!("{client_id}: {scope}"),
    }
}

/// The page.
#[component]
pub fn TokensPage() -> Html {
    let c = use_texts();
    let t = use_i18n().t;
    use_title(c.tokens_title.into());
    let version = use_state(|| 0u32);
    let loaded = use_load(|| Box::pin(api::tokens()), *version);
    let failed = use_state(|| None::<ApiError>);
    let revoke = |jti: String| {
        let (version, failed) = (version.clone(), failed.clone());
        Callback::from(move |_: MouseEvent| {
            let (jti, version, failed) = (jti.clone(), version.clone(), failed.clone());
            yew::platform::spawn_local(async move {
                match api::revoke(&jti).await {
                    Ok(()) => version.set(*version + 1),
                    Err(e) => failed.set(Some(e)),
                }
            });
        })
    };
    let row = |token: &TokenInfo| {
        html! {
            <tr>
                <th scope="row">{ token.subject.clone() }</th>
                <td>{ role_name(c, token.grant.role()) }</td>
                <td>{ scope(c, &token.grant) }</td>
                <td>{ date_time(t, token.expires_at) }</td>
                <td>
                    if token.revoked {
                        <span class="state state-bad">{ c.revoked }</span>
                    } else {
                        <button type="button" class="secondary" onclick={revoke(token.jti.clone())}
                            aria-label={format!("{}: {}", c.revoke, token.subject)}>{ c.revoke }</button>
                    }
                </td>
            </tr>
        }
    };
    html! {
        <>
            <h1>{ c.tokens_title }</h1>
            <p class="muted">{ c.tokens_intro }</p>
            if let Some(e) = &*failed { { error_notice(c, e) } }
            <RefreshButton version={version.clone()} />
            { match &loaded {
                Load::Loading => html! { <p class="muted">{ c.loading }</p> },
                Load::Failed(e) => error_notice(c, e),
                Load::Ready(list) if list.is_empty() => html! { <p>{ c.tokens_none }</p> },
                Load::Ready(list) => html! {
                    <div class="table-wrap"><table>
                        <thead><tr>
                            <th scope="col">{ c.col_subject }</th>
                            <th scope="col">{ c.col_role }</th>
                            <th scope="col">{ c.col_scope }</th>
                            <th scope="col">{ c.col_expires }</th>
                            <th scope="col"><span class="visually-hidden">{ c.revoke }</span></th>
                        </tr></thead>
                        <tbody>{ for list.iter().map(row) }</tbody>
                    </table></div>
                },
            } }
            <MintForm version={version.clone()} />
        </>
    }
}

#[derive(Properties, PartialEq)]
struct MintFormProps {
    version: UseStateHandle<u32>,
}

/// The grant the form describes, or why not.
fn grant_of(role: Role) -> Result<Grant, ()> {
    let required = |id: &str| number_value(id).and_then(|v| v.ok_or(()));
    Ok(match role {
        Role::Display => Grant::Display {
            building: required("mint-building")?,
            staircase: number_value("mint-staircase")?,
        },
        Role::Resident => Grant::Resident {
            party: required("mint-party")?,
            apartment: required("mint-apartment")?,
        },
        Role::Partner => Grant::Partner {
            assignee: required("mint-assignee")?,
        },
        Role::Admin => Grant::Admin,
        // Apps get their tokens from POST /oauth/token; the picker does not offer them.
        Role::App => return Err(()),
    })
}

#[component]
fn MintForm(props: &MintFormProps) -> Html {
    let c = use_texts();
    let role = use_state(|| Role::Display);
    let minted = use_state(|| None::<MintedToken>);
    let failed = use_state(|| None::<ApiError>);
    let invalid = use_state(|| false);
    let onchange = {
        let role = role.clone();
        move |e: Event| {
            let value = e
                .target_dyn_into::<web_sys::HtmlSelectElement>()
                .map(|s| s.value())
                .unwrap_or_default();
            role.set(match value.as_str() {
                "resident" => Role::Resident,
                "partner" => Role::Partner,
                "admin" => Role::Admin,
                _ => Role::Display,
            });
        }
    };
    let onsubmit = {
        let (role, minted, failed, invalid, version) = (
            role.clone(),
            minted.clone(),
            failed.clone(),
            invalid.clone(),
            props.version.clone(),
        );
        move |e: SubmitEvent| {
            e.prevent_default();
            let (Ok(grant), Ok(Some(days))) = (grant_of(*role), number_value("mint-days")) else {
                invalid.set(true);
                return;
            };
            invalid.set(false);
            let body = NewToken {
                subject: input_value("mint-subject"),
                grant,
                ttl_days: u32::try_from(days).unwrap_or(u32::MAX),
            };
            let (minted, failed, version) = (minted.clone(), failed.clone(), version.clone());
            yew::platform::spawn_local(async move {
                match api::mint(&body).await {
                    Ok(token) => {
                        minted.set(Some(token));
                        failed.set(None);
                        version.set(*version + 1);
                    }
                    Err(e) => failed.set(Some(e)),
                }
            });
        }
    };
    let number = |id: &'static str, label: &'static str, required: bool| {
        html! {
            <>
                <label for={id}>{ label }</label>
                <input id={id} name={id} inputmode="numeric" {required} />
            </>
        }
    };
    let option = |value: &'static str, r: Role| {
        html! { <option {value} selected={*role == r}>{ role_name(c, r) }</option> }
    };
    html! {
        <section aria-labelledby="mint-title" class="console-section">
            <h2 id="mint-title">{ c.mint_title }</h2>
            if let Some(e) = &*failed { { error_notice(c, e) } }
            if *invalid { <Notice kind={NoticeKind::Error}>{ c.invalid_number }</Notice> }
            <form class="console-form" {onsubmit}>
                <label for="mint-subject">{ c.field_subject }</label>
                <input id="mint-subject" name="subject" required=true maxlength="100" />
                <label for="mint-role">{ c.field_role }</label>
                <select id="mint-role" name="role" {onchange}>
                    { option("display", Role::Display) }
                    { option("resident", Role::Resident) }
                    { option("partner", Role::Partner) }
                    { option("admin", Role::Admin) }
                </select>
                { match *role {
                    Role::Display => html! { <>
                        { number("mint-building", c.field_building, true) }
                        { number("mint-staircase", c.field_staircase, false) }
                    </> },
                    Role::Resident => html! { <>
                        { number("mint-party", c.field_party, true) }
                        { number("mint-apartment", c.field_apartment, true) }
                    </> },
                    Role::Partner => number("mint-assignee", c.field_assignee, true),
                    Role::Admin | Role::App => html! {},
                } }
                <label for="mint-days">{ c.field_days }</label>
                <input id="mint-days" name="days" inputmode="numeric" required=true value="30" />
                <button type="submit">{ c.mint_submit }</button>
            </form>
            if let Some(token) = &*minted {
                <div class="minted" role="status">
                    <h3>{ c.minted }</h3>
                    <p>{ c.minted_note }</p>
                    <code class="token">{ token.token.clone() }</code>
                </div>
            }
        </section>
    }
}
