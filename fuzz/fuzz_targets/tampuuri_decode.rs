//! Tampuuri's answers, decoded as the client decodes them: one answer of a model
//! (`client::decode`), or a page envelope (`paging::RawPage`) whose rows are decoded one by
//! one, a row that cannot be read being skipped. Decoding must never panic, whatever the
//! bytes; what was read then goes through the pure readers behind feeds and report views,
//! and a person the privacy rule protects must never come out named.

#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use rappu_fuzz::wire::{self, Model};
use rappu_gateway::feeds::{assemble, privacy};
use rappu_gateway::property;
use rappu_gateway::reports::view;
use rappu_gateway::upstream::tampuuri::client::decode;
use rappu_gateway::upstream::tampuuri::model::{
    Announcement, Connection, CreatedId, FaultReport, Object, Party, PartySummary,
};
use rappu_gateway::upstream::tampuuri::paging::{MAX_LIMIT, RawPage, next_offset};
use rappu_gateway::upstream::tampuuri::routes::Route;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

fuzz_target!(|data: &[u8]| {
    let Some((model, body)) = wire::split(data) else {
        return;
    };
    let route = model.route();
    match model {
        Model::Object => read(&route, body, inspect_object),
        Model::Party => read(&route, body, |p: &Party| {
            let _ = p.kind.as_ref().map(|k| k.name());
        }),
        Model::Connection => read(&route, body, inspect_connection),
        Model::Announcement => read(&route, body, |a: &Announcement| {
            let _ = (a.valid_from.max(a.published_at), a.valid_until);
        }),
        Model::FaultReport => read(&route, body, inspect_report),
        Model::PartySummary => read(&route, body, |p: &PartySummary| {
            let _ = p.kind.as_ref().map(|k| k.is_known());
        }),
        Model::CreatedId => read(&route, body, |c: &CreatedId| {
            let _ = c.0;
        }),
    }
});

/// Both ways the client reads a body of `T`.
fn read<T: DeserializeOwned>(route: &Route, body: &[u8], inspect: impl Fn(&T)) {
    if let Ok(one) = decode::<T>(route, body) {
        inspect(&one);
    }
    if let Ok(page) = decode::<RawPage>(route, body) {
        let rows = rows::<T>(&page.items);
        assert!(rows.len() <= page.items.len());
        rows.iter().for_each(&inspect);
        if let Some(next) = next_offset(0, page.items.len(), page.total, MAX_LIMIT) {
            assert!(next > 0, "paging must move on");
        }
    }
}

/// `TampuuriClient::rows`: each raw row decoded on its own, unreadable ones skipped.
fn rows<T: DeserializeOwned>(raw: &[Box<RawValue>]) -> Vec<T> {
    raw.iter()
        .filter_map(|row| {
            let mut de = serde_json::Deserializer::from_str(row.get());
            serde_path_to_error::deserialize(&mut de).ok()
        })
        .collect()
}

fn inspect_object(o: &Object) {
    let _ = (o.parent(), o.kind.name(), o.kind.is_known());
    let _ = (property::address_of(o), property::name_of(o));
}

fn inspect_connection(c: &Connection) {
    let today = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default();
    let _ = (c.role.name(), assemble::in_force(c, today));
    let named = privacy::resident_surname(c).is_some() || privacy::staff_contact(c).is_some();
    if named {
        // The one privacy rule: a name only when Tampuuri said plainly that it may be shown.
        assert!(privacy::may_name(c));
        assert_ne!(c.hide_from_display, Some(true), "named though hidden");
        assert!(c.party.archived_at.is_none(), "named though archived");
        assert!(
            privacy::is_company(&c.party) || c.party.non_disclosure == Some(false),
            "a person named without Turvakielto: false"
        );
    }
}

fn inspect_report(r: &FaultReport) {
    let _ = (r.location_text(), r.entry_allowed("Kyllä", "Ei"));
    let remote = view::remote_view(r);
    let _ = serde_json::to_vec(&remote.timeline);
    let _ = view::topic_from_tampuuri(r.topic.as_ref());
}
