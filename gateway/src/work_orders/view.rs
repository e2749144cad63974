//! A Tampuuri report as a partner's [`WorkOrder`]: the job, where it is, how to get in.

use std::sync::Arc;

use rappu_shared::report::WorkOrder;

use super::WorkOrders;
use crate::config::AccountSettings;
use crate::reports::view as report_view;
use crate::upstream::tampuuri::model::{self, Object, ObjectKind};

/// Where an object is, for a worker: `Koivukuja 3, A 12` for an apartment, the street
/// address (or name) for a staircase, building or property.
pub fn place_of(object: &Object) -> String {
    let street = object
        .street_address
        .clone()
        .filter(|s| !s.trim().is_empty());
    let name = object.code.clone().or_else(|| object.name.clone());
    let unit = match object.kind {
        ObjectKind::Apartment => name.clone().or_else(|| {
            object
                .apartment_number
                .map(|n| format!("{} {n}", object.staircase.clone().unwrap_or_default()))
        }),
        ObjectKind::Staircase => object.staircase.clone().map(|s| format!("porras {s}")),
        _ => None,
    };
    match (street, unit) {
        (Some(street), Some(unit)) => format!("{street}, {}", unit.trim()),
        (Some(street), None) => street,
        (None, Some(unit)) => unit,
        (None, None) => name.unwrap_or_else(|| format!("#{}", object.id)),
    }
}

/// The whole location: the object's place and the resident's own words about where.
fn location(place: Option<&str>, detail: Option<&str>) -> Option<String> {
    let parts: Vec<&str> = [place, detail]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The report as the assignee sees it. Its status is Tampuuri's state: the assignee works
/// an original report to completion even after passing part of it on.
/// `account` names its pick-list values for the master-key permission.
pub fn work_order(
    report: &model::FaultReport,
    place: Option<&str>,
    account: &AccountSettings,
) -> WorkOrder {
    WorkOrder {
        id: report.id,
        number: report.number.clone(),
        topic: report_view::topic_from_tampuuri(report.topic.as_ref()),
        title: report.title.clone(),
        description: report.description.clone(),
        location: location(place, report.location_text().as_deref()),
        master_key_allowed: report
            .entry_allowed(&account.entry_allowed_value, &account.entry_denied_value),
        pets: report.pets.clone(),
        contact_phone: report.reporter_phone.clone(),
        status: report_view::status_of(&report.state),
        created_at: report.created_at,
        timeline: report_view::history(report),
    }
}

impl WorkOrders {
    /// `report` as a work order, its place looked up (cached). A place that cannot be read
    /// now is left out rather than failing the whole answer.
    pub(super) async fn work_order(&self, account: &str, report: &model::FaultReport) -> WorkOrder {
        let place = match report.object_id {
            Some(object_id) => self.place(account, object_id).await,
            None => None,
        };
        let settings = self.client(account).map(|c| c.settings().clone());
        let settings = settings.unwrap_or_else(|_| AccountSettings::unknown(account));
        work_order(report, place.as_deref().map(String::as_str), &settings)
    }

    /// The place of `object_id`: from the account mirror, which has the registry; from
    /// Tampuuri (cached) only for an object the mirror does not know.
    async fn place(&self, account: &str, object_id: u64) -> Option<Arc<String>> {
        if let Ok(Some(object)) = self.inner.mirror.object(account, object_id).await {
            return Some(Arc::new(place_of(&object)));
        }
        let client = self.client(account).ok()?;
        let found = self
            .inner
            .places
            .try_get_with((account.to_owned(), object_id), async move {
                client
                    .object(object_id)
                    .await
                    .map(|o| Arc::new(place_of(&o)))
            })
            .await;
        match found {
            Ok(place) => Some(place),
            Err(e) => {
                tracing::warn!(object_id, error = %e, "cannot read a work order's place");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_read_like_addresses() {
        let apartment: Object = serde_json::from_value(serde_json::json!({
            "Id": 100012, "KohdeMetatyyppi": "Huoneisto", "Tunnus": "A 12",
            "Katuosoite": "Koivukuja 3", "Porras": "A", "Huoneistonumero": 12
        }))
        .unwrap();
        assert_eq!(place_of(&apartment), "Koivukuja 3, A 12");
        let staircase: Object = serde_json::from_value(serde_json::json!({
            "Id": 100004, "KohdeMetatyyppi": "Porras", "Katuosoite": "Koivukuja 3", "Porras": "B"
        }))
        .unwrap();
        assert_eq!(place_of(&staircase), "Koivukuja 3, porras B");
        assert_eq!(
            location(Some("Koivukuja 3, A 12"), Some(" Keittiö ")).as_deref(),
            Some("Koivukuja 3, A 12, Keittiö")
        );
        assert_eq!(location(None, Some("  ")), None);
    }
}
